//===- JsonString.h - A string as a JSON string literal ---------*- C++ -*-===//

#ifndef SSTEP_TOOLS_COMMON_JSONSTRING_H
#define SSTEP_TOOLS_COMMON_JSONSTRING_H

#include <cstdio>
#include <string>

namespace sstep::tool {

/// `s` quoted for JSON, with quotes, backslashes and control characters
/// escaped (a value or slide name may hold any of them).
inline std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

} // namespace sstep::tool

#endif // SSTEP_TOOLS_COMMON_JSONSTRING_H
