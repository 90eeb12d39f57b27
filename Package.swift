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
//     │   (Groups and Fourier are independent; both build on NeuronData)
//     ├─ NeuronData    strided neuron matrices, power tables and summaries, worker threads
//     ├─ Checkpoints   file → named tensors (npy, and the checkpoint formats)
//     └─ JSONOutput    fast streaming JSON/CSV writer for machine-readable output
//   CFFTW, CBLAS, CZlib  system libraries (Debian: libfftw3-dev, libopenblas-dev, zlib1g-dev)
//   CKernels             small C loops built for AVX-512/AVX2/baseline, chosen at load time
import PackageDescription

let package = Package(
    name: "IrrepScope",
    products: [
        .executable(name: "irrepscope", targets: ["irrepscope"]),
        .library(name: "NeuronData", targets: ["NeuronData"]),
        .library(name: "Fourier", targets: ["Fourier"]),
        .library(name: "Groups", targets: ["Groups"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
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
        .target(name: "JSONOutput", dependencies: ["CKernels"]),
        .target(name: "CKernels"),
        .target(name: "NeuronData", dependencies: ["CBLAS"], exclude: ["README.md"]),
        .target(name: "Fourier", dependencies: ["NeuronData", "CFFTW", "CBLAS", "CKernels"], exclude: ["README.md"]),
        .target(name: "Checkpoints", dependencies: ["CZlib", "CKernels"]),
        .target(name: "Groups", dependencies: ["NeuronData", "CBLAS"], exclude: ["README.md"]),
        .target(name: "Analysis", dependencies: ["Fourier", "Groups", "Checkpoints", "CBLAS", "CKernels"]),
        .target(name: "Reports"),
        .executableTarget(
            name: "irrepscope",
            dependencies: [
                "Analysis", "Reports", "Fourier", "Groups", "Checkpoints", "JSONOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "library-example",
            dependencies: ["Fourier", "Groups"],
            path: "examples/LibraryExample"
        ),
        .executableTarget(
            name: "spectrum-benchmark",
            dependencies: ["Fourier", "Checkpoints"],
            path: "Benchmarks/SpectrumBenchmark"
        ),
        .testTarget(name: "NeuronDataTests", dependencies: ["NeuronData"]),
        .testTarget(name: "FourierTests", dependencies: ["Fourier"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["irrepscope"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "GroupsTests", dependencies: ["Groups", "Fourier"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Checkpoints", "Groups"]),
    ]
)
