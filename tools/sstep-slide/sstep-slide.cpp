//===- sstep-slide.cpp - Inspect, read, mask and make slides --------------===//
//
// The slide side of SSTEP on the command line. Exit codes follow the project's
// contract: 0 success, 2 bad input (usage, missing or unreadable file, level
// or region out of range, corrupt tile), 1 internal error. Never a crash.
//
//===----------------------------------------------------------------------===//

#include "runtime/slide/SlideError.h"
#include "tools/common/Args.h"
#include "tools/sstep-slide/Commands.h"

#include <iostream>
#include <new>

using namespace sstep;

namespace {

const char *kUsage = R"(usage:
  sstep-slide info FILE [--json]
  sstep-slide read FILE --level L --region X,Y,W,H -o OUT.png
                   [--threads N] [--cache-mb MB]
  sstep-slide read FILE --associated thumbnail|label|macro -o OUT.png
  sstep-slide mask FILE -o MASK.png [--max-side N] [--tiles T [--margin M]]
  sstep-slide mkslide -o OUT.tif --size W,H [--tile T]
                   [--compression jpeg|deflate|lzw|zstd|none] [--quality Q]
                   [--bigtiff] [--seed S] [--mpp M]
  sstep-slide overlay SLIDE HEATMAP -o OUT.png [--max-side N] [--alpha A]
Regions are in the pixel frame of their level (not OpenSlide's level-0 origin).
)";

int dispatch(const std::string &command, const std::vector<std::string> &rest) {
  if (command == "info")
    return tool::runInfo(rest);
  if (command == "read")
    return tool::runRead(rest);
  if (command == "mask")
    return tool::runMask(rest);
  if (command == "mkslide")
    return tool::runMkslide(rest);
  if (command == "overlay")
    return tool::runOverlay(rest);
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  throw tool::UsageError("unknown command \"" + command + "\"");
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::vector<std::string> rest(argv + 2, argv + argc);
  try {
    return dispatch(argv[1], rest);
  } catch (const tool::UsageError &e) {
    std::cerr << "sstep-slide: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const slide::SlideError &e) {
    std::cerr << "sstep-slide: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc &) {
    std::cerr << "sstep-slide: out of memory\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "sstep-slide: internal error: " << e.what() << "\n";
    return 1;
  }
}
