# lit configuration for SSTEP's IR tests.
import os

import lit.formats
import lit.util

config.name = "SSTEP"
config.test_format = lit.formats.ShTest(not lit.util.which("bash") is None)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.excludes = ["lit.cfg.py", "corpus", "regressions", "lit.site.cfg.py", "CMakeLists.txt", "unit", "package", "export_model.py", "check_support_table.py", "check_output_shapes.py", "models.py", "compare_with_torch.py", "cohort_helpers.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.sstep_obj_root, "test")

# Our tools first, then LLVM's FileCheck, not, count, split-file.
config.environment["PATH"] = os.pathsep.join(
    [config.sstep_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", config.python_executable))

# Tests that export models with Debian's torch need it importable.
import subprocess

if subprocess.call(
    [config.python_executable, "-c", "import torch, torchvision, onnx"],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
) == 0:
    config.available_features.add("torch")
# The oneDNN CPU backend is optional (SSTEP_ENABLE_CPU).
if getattr(config, "sstep_have_dnnl", False):
    config.available_features.add("cpu-backend")
# The CUDA toolkit (nvcc, cuDNN's headers) was found: the CUDA parts build.
if getattr(config, "sstep_have_cuda", False):
    config.available_features.add("cuda")
# sstep-slide is built (and sstep-run reads slides) when the slide libraries
# are installed.
if os.path.exists(os.path.join(config.sstep_tools_dir, "sstep-slide")):
    config.available_features.add("slide")
# Cohorts (--cohort) need libcsv and nlohmann-json; their MPI launch needs
# OpenMPI's mpirun. Tests may run as root, which mpirun refuses unless told.
if getattr(config, "sstep_have_cohort", False):
    config.available_features.add("cohort")
if getattr(config, "sstep_have_mpi", False) and lit.util.which("mpirun"):
    config.available_features.add("mpi")
    config.environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    config.environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
config.substitutions.append(("%sstep_src_root", config.sstep_src_root))
# Where the real Aperio sample slide may be; tests skip that part without it.
config.substitutions.append(
    ("%slide_data_dir", getattr(config, "sstep_slide_data_dir", "")))
# Exported models are cached in the build tree, shared by every test.
config.substitutions.append(
    ("%model_cache", os.path.join(config.sstep_obj_root, "test", "model-cache")))
