//===- Usage.cpp - sstep-run's usage text, and an inference binary's ------===//
//
// docs/cli.md documents every option named here (test/tools/
// help-in-docs.test checks it).
//
//===----------------------------------------------------------------------===//

#include "tools/command/Usage.h"

namespace sstep {

std::string usageOf(const CommandSpec &spec) {
  const std::string &n = spec.name;
  const std::string model = spec.embedded ? "" : "MODEL ";
  std::string text =
      "usage: " + n + " " + model + "INPUT -o OUTPUT [options]\n" + "       " +
      n + " " + model + "--input NAME=FILE ... --output " + "NAME=FILE ...\n\n";
  if (spec.embedded)
    text += "Runs the model built into " + n + " (" +
            spec.embedded->info().source + ", target " +
            spec.embedded->info().target + ") on INPUT\n";
  else
    text += "Runs MODEL (a plan from sstep-compile, .onnx or ONNX text) on "
            "INPUT\n";
  text +=
      "(.npy, NCHW float32, or a slide) and writes OUTPUT (.npy, or .json\n"
      "for small tensors; slides also .tif and .h5).\n"
      "\n"
      "options:\n"
      "  -o FILE                 the output of a single-output model\n"
      "  --input NAME=FILE       an input by name (repeatable)\n"
      "  --output NAME=FILE      an output by name (repeatable)\n"
      "  --backend=NAME          reference (plain loops, the oracle), cpu\n"
      "                          (oneDNN, all cores) or cuda (cuDNN and the\n"
      "                          plan's generated kernels, one GPU; needs a\n"
      "                          plan compiled with --target=cuda, or an\n"
      "                          ONNX model, compiled for it in memory);\n"
      "                          default: " +
      std::string(spec.embedded ? "the plan's target" : "reference") +
      "\n"
      "  --tile=none|auto|N      whole-image execution (none), or tiles of\n"
      "                          N input pixels, or the largest tiles that\n"
      "                          fit --memory-budget (auto); default: " +
      std::string(spec.embedded ? "the plan's" : "none") +
      "\n"
      "  --tile-rows=N           with --tile=N: tiles of N rows instead; the\n"
      "                          cpu backend runs short wide tiles top to\n"
      "                          bottom, reusing the rows above (default:\n"
      "                          square, or the planner's with auto)\n"
      "  --memory-budget=SIZE    working-set budget for --tile=auto, such as\n"
      "                          512MiB (default " +
      std::string(spec.embedded ? "the plan's, else " : "") +
      "4GiB)\n"
      "  --store=auto|memory|disk  where images kept between stages live\n"
      "                          (squeeze-and-excitation inputs...): on disk\n"
      "                          when the budget needs it (auto), or always\n"
      "  --scratch=DIR           the folder of those on disk (default: the\n"
      "                          output's)\n"
      "  --checkpoint-seconds=S  a tiled run into .npy files, or a slide run\n"
      "                          of several stages, with those on disk saves\n"
      "                          a checkpoint to resume from every S seconds\n"
      "                          between tiles (default 30; 0: after every\n"
      "                          tile)\n"
      "  --stats=FILE            write the tiling, the predicted and the\n"
      "                          measured working set as JSON\n"
      "  --threads=N             worker threads (default: all cores, or\n"
      "                          SLURM_CPUS_PER_TASK under Slurm)\n"
      "  --plan-info             print what the plan says about itself\n";
  if (!spec.runSlide)
    return text + "\nThis build reads no slides (it was built without "
                  "libtiff, OpenSlide and HDF5).\n";
  text +=
      "\n"
      "       " +
      n + " " + model +
      "SLIDE -o OUT.tif|OUT.h5|OUT.npy|OUT.json [options]\n"
      "\n"
      "Runs the model tiled over a level of SLIDE (.tif, .svs, .ndpi, .mrxs,\n"
      "...: any INPUT but .npy) in bounded memory; resumes after a crash.\n"
      "Tiles are auto by default: on the cpu backend strips of 32 rows as\n"
      "wide as fit, else 1024 to 4096 pixels as the halo needs, within\n"
      "--memory-budget (default " +
      std::string(spec.embedded ? "the plan's, else " : "") +
      "2GiB).\n"
      "  --level=L               the slide level (default 0)\n"
      "  --normalize=none|imagenet|M,M,M/S,S,S\n"
      "                          input = (rgb/255 - M) / S (default "
      "imagenet)\n"
      "  --output-scale=A        uint8 TIFF samples: value*A clamped to "
      "0..255\n"
      "                          (default: float32 samples)\n"
      "  --compression=deflate|zstd|lzw|none|jpeg   TIFF tiles (default "
      "deflate)\n"
      "  --tissue-mask           skip tiles without tissue\n"
      "  --mask=FILE             the same with a tissue mask made elsewhere:\n"
      "                          a PNG over the whole slide, non-zero tissue\n"
      "  --background=V          the output of skipped tiles (default 0)\n"
      "  --quiet                 no progress on stderr\n"
      "\n"
      "       " +
      n + " " + model +
      "SLIDE -o OUT.h5 --patches=N [options]\n"
      "\n"
      "Runs the model on each whole N x N patch of the level as an image of\n"
      "its own and writes one output per patch, with the patch's level-0\n"
      "coordinates, as an HDF5 table; resumes after a crash. --level,\n"
      "--normalize, --tile, --memory-budget (a patch too large for it runs\n"
      "tiled), --tissue-mask and --quiet apply as above.\n"
      "  --patch-stride=S        pixels between patches (default N)\n"
      "  --patch-layout=table|groups\n"
      "                          /features [patches, ...] and /coords\n"
      "                          (default), or a group per patch with its\n"
      "                          coordinates as attributes\n"
      "  --min-tissue=F          with --tissue-mask: keep patches whose\n"
      "                          tissue share is at least F (default: any)\n"
      "\n"
      "       " +
      n + " " + model +
      "--cohort MANIFEST.csv -o OUTDIR [options]\n"
      "\n"
      "Runs the model over every slide of MANIFEST (CSV with a header: slide,\n"
      "and optionally id, output, mask, level), each as a SLIDE run with the\n"
      "same options, writing OUTDIR/ID.tif (ID.h5 with --patches) or the\n"
      "output column's name. A failing slide is recorded and the cohort\n"
      "goes on; the same command again skips finished slides and resumes\n"
      "the rest.\n"
      "Under mpirun or srun rank 0 hands out slides; processes sharing OUTDIR\n"
      "(a Slurm job array) divide the cohort. State and a summary are in\n"
      "OUTDIR/.sstep (docs/cohorts.md). Exit 2 when a slide failed.\n"
      "  --max-attempts=N        failed attempts before a slide is left\n"
      "                          alone (default 3)\n"
      "  --threads=N             per process (default: SLURM_CPUS_PER_TASK,\n"
      "                          else the cores shared by the ranks here)\n";
  return text;
}

} // namespace sstep
