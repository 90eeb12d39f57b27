// swift-tools-version:6.0
// IrrepScope: which Fourier features and group representations a trained network uses.
//
// Module layout (dependencies point one way, downwards):
//
//   irrepscope (CLI, swift-argument-parser)
//     ├─ Analysis      find the network in a checkpoint; sparsity, alignment, margins vs theory
//     ├─ Reports       SVG plots and self-contained HTML/Markdown reports
//     ├─ Groups        finite groups, character tables, real irreps, isotypic power
//     ├─ Fourier       FFTW-backed per-neuron power spectra on the cyclic group
//     ├─ Checkpoints   file → named tensors (npy, and the checkpoint formats)
//     └─ JSONOutput    fast streaming JSON/CSV writer for machine-readable output
//   CFFTW, CBLAS, CZlib  system libraries (Debian: libfftw3-dev, libopenblas-dev, zlib1g-dev)
//   CKernels             small C loops built for AVX-512/AVX2/baseline, chosen at load time
import PackageDescription

let package = Package(
    name: "IrrepScope",
    products: [
        .executable(name: "irrepscope", targets: ["irrepscope"]),
        .library(name: "Fourier", targets: ["Fourier"]),
        .library(name: "Groups", targets: ["Groups"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Analysis", targets: ["Analysis"]),
        .library(name: "Batch", targets: ["Batch"]),
        .library(name: "Reports", targets: ["Reports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFTW",
            pkgConfig: "fftw3",
            providers: [.apt(["libfftw3-dev"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "JSONOutput", dependencies: ["CKernels"], exclude: ["README.md"]),
        .target(name: "CKernels"),
        .target(name: "Fourier", dependencies: ["CFFTW", "CBLAS", "CKernels"]),
        .target(name: "Checkpoints", dependencies: ["CZlib", "CKernels", "JSONOutput"], exclude: ["README.md"]),
        .target(name: "Groups", dependencies: ["Fourier", "CBLAS"], exclude: ["README.md"]),
        .target(name: "Analysis", dependencies: ["Fourier", "Groups", "Checkpoints", "CBLAS", "CKernels"], exclude: ["README.md"]),
        .target(name: "Batch", dependencies: ["Analysis", "Checkpoints", "JSONOutput"], exclude: ["README.md"]),
        .target(name: "Reports", dependencies: ["Analysis", "Batch", "Fourier", "Groups", "Checkpoints", "JSONOutput"], exclude: ["README.md"]),
        .executableTarget(
            name: "irrepscope",
            dependencies: [
                "Analysis", "Batch", "Reports", "Fourier", "Groups", "Checkpoints", "JSONOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "library-example",
            dependencies: ["Analysis", "Fourier", "Groups"],
            path: "examples/LibraryExample"
        ),
        .executableTarget(
            name: "spectrum-benchmark",
            dependencies: ["Fourier", "Checkpoints"],
            path: "Benchmarks/SpectrumBenchmark"
        ),
        .testTarget(name: "FourierTests", dependencies: ["Fourier"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["irrepscope"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Analysis", "Batch"]),
        .testTarget(name: "BatchTests", dependencies: ["Batch", "Analysis", "Checkpoints"]),
        .testTarget(name: "GroupsTests", dependencies: ["Groups", "Fourier"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Checkpoints", "Groups"]),
    ]
)
