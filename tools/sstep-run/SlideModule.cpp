//===- SlideModule.cpp - sstep-run's slide side, loaded on demand ---------===//
//
// A module that sstep-run opens only when INPUT is a slide: libtiff,
// OpenSlide and HDF5 pull in some sixty libraries (X11, cairo, curl,
// Kerberos...) that a tensor run has no use for.
//
//===----------------------------------------------------------------------===//

#include "tools/sstep-run/SlideModule.h"
#include "runtime/core/RuntimeError.h"
#include "tools/command/RunSlide.h"

#include <exception>

extern "C" __attribute__((visibility("default"))) void
sstepRunSlide(const sstep::SlideCall &call, sstep::SlideResult *out) {
  using sstep::SlideResult;
  SlideResult &result = *out;
  try {
    result.status = sstep::runSlide(call);
  } catch (const sstep::tool::UsageError &e) {
    result = {SlideResult::Usage, 2, e.what()};
  } catch (const sstep::BadModel &e) {
    result = {SlideResult::Input, 2, e.what()};
  } catch (const sstep::RuntimeError &e) {
    result = {SlideResult::Input, 2, e.what()};
  } catch (const std::exception &e) {
    result = {SlideResult::Internal, 1, e.what()};
  } catch (...) {
    result = {SlideResult::Internal, 1,
              call.slidePath + ": the slide run failed"};
  }
}
