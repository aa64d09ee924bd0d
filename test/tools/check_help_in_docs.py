"""Checks that every option a tool's --help names is documented.

Usage: check_help_in_docs.py DOC TOOL [ARGS...] [-- TOOL [ARGS...]]...
Runs each TOOL ARGS (its help), collects every --option it prints and
reports those DOC does not mention verbatim. Exit 1 when any is missing.
"""
import re
import subprocess
import sys


def main():
    doc = open(sys.argv[1]).read()
    commands, current = [], []
    for arg in sys.argv[2:]:
        if arg == "--" and current:
            commands.append(current)
            current = []
        else:
            current.append(arg)
    if current:
        commands.append(current)
    missing = []
    for command in commands:
        text = subprocess.run(command, capture_output=True, text=True).stdout
        options = sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text)))
        if not options:
            missing.append(f"{command[0]}: its help names no option")
        for option in options:
            if option not in doc:
                missing.append(f"{command[0].split('/')[-1]}: {option}")
        print(f"{command[0].split('/')[-1]}: {len(options)} options")
    for m in missing:
        print(f"undocumented: {m}")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
