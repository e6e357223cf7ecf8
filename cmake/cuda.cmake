# CUDA for the bundled kernels (issue 6; DESIGN.md §2: "the CUDA part is built when nvcc is
# found and run only where a GPU is"). Included from the top-level CMakeLists.txt because
# enable_language() must run in the directory that holds every target linking CUDA code.
#
# Sets:
#   MOESIM_HAVE_CUDA  ON when nvcc works and the toolkit provides cudart and cublasLt
#   MOESIM_HAVE_NCCL  ON when, in addition, nccl.h and libnccl were found (MOESIM_NCCL_INCLUDE_DIR,
#                     MOESIM_NCCL_LIBRARY; kernels/nccl loads the library at run time)
#
# -DMOESIM_CUDA=OFF (or -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON) builds without CUDA even
# where nvcc exists; CMAKE_CUDA_COMPILER / CUDACXX / CUDAToolkit_ROOT pick another toolkit;
# CMAKE_CUDA_ARCHITECTURES overrides the default targets below.
option(MOESIM_CUDA "Build the CUDA kernels when nvcc is found" ON)
set(MOESIM_HAVE_CUDA OFF)
set(MOESIM_HAVE_NCCL OFF)

if(MOESIM_CUDA AND NOT CMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit)
  # NVIDIA's installers put the toolkit in /usr/local/cuda without adding it to PATH, and
  # CMake's CUDA compiler search looks only on PATH. Point check_language at the nvcc found
  # here (PATH, CMake's system paths, then the usual toolkit homes) unless the user named one;
  # its inner project inherits CUDACXX from this environment.
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
    find_program(MOESIM_NVCC nvcc PATHS /usr/local/cuda/bin /opt/cuda/bin)
    if(MOESIM_NVCC)
      set(ENV{CUDACXX} "${MOESIM_NVCC}")
    endif()
  endif()

  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # sm_90 machine code for Hopper (H100/H200/H800, the GPUs of the reference workload) plus
    # compute_80 PTX, which the driver compiles for any newer or other sm_80+ GPU on first use
    # (the FP8 tensor-core path is then replaced by the portable one, see kernels/fp8_gemm).
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90-real 80-virtual)
    endif()
    # One CUDA runtime in the process: the shared one that CUDA::cudart, cuBLASLt and NCCL use,
    # not a static copy linked into the CUDA objects.
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)  # CMake 3.25 knows no CUDA20 for nvcc; .cu files include only C++17 headers
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    # With CUDA enabled, FindCUDAToolkit looks first in the toolkit of that nvcc
    # (CMAKE_CUDA_COMPILER_TOOLKIT_ROOT), even when nvcc is a wrapper script elsewhere.
    find_package(CUDAToolkit)
    if(CUDAToolkit_FOUND AND TARGET CUDA::cudart AND TARGET CUDA::cublasLt)
      set(MOESIM_HAVE_CUDA ON)
    else()
      message(WARNING "nvcc found (${CMAKE_CUDA_COMPILER}) but not the CUDA runtime or cuBLASLt: "
                      "building without the CUDA kernels")
    endif()
  endif()
endif()

if(MOESIM_HAVE_CUDA)
  # NCCL: with the toolkit (NVIDIA's pip wheels and some tarballs put it there) or the
  # system's libnccl-dev. NCCL_ROOT names another install.
  find_path(MOESIM_NCCL_INCLUDE_DIR nccl.h
            HINTS ${NCCL_ROOT} $ENV{NCCL_ROOT} ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_ROOT}
            PATH_SUFFIXES include)
  find_library(MOESIM_NCCL_LIBRARY nccl
               HINTS ${NCCL_ROOT} $ENV{NCCL_ROOT} ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_ROOT}
               PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
  if(MOESIM_NCCL_INCLUDE_DIR AND MOESIM_NCCL_LIBRARY)
    set(MOESIM_HAVE_NCCL ON)
  endif()
  message(STATUS "CUDA kernels: ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures "
                 "${CMAKE_CUDA_ARCHITECTURES}); NCCL sweeps: ${MOESIM_HAVE_NCCL}")
else()
  message(STATUS "CUDA kernels: OFF (no usable nvcc, or MOESIM_CUDA=OFF): moesim calibrate "
                 "will report that this build cannot measure")
endif()
