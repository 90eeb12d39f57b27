// swift-tools-version:6.0
// IrrepScope: which Fourier features and group representations a trained network uses.
//
// Module layout (dependencies point one way, downwards; each module's README.md under Sources/
// says what it holds and where its seams are):
//
//   irrepscope (CLI, swift-argument-parser): options → request → library call → renderer
//     ├─ Reports       every rendering: analysis JSON/CSV/tables, HTML + SVG reports, spectra, tables
//     ├─ Batch         runs and sweeps: ordered items, workers, results.jsonl, resume, shards, merge
//     ├─ Analysis      Analyzer + network families (registry), group analysis, margins, records
//     ├─ Groups        finite groups (one kind per file + registry), characters, irreps, isotypic power
//     │   (exact orders: attaswift/BigInt's BigUInt, re-exported)
//     ├─ Fourier       FFTW-backed per-neuron power spectra on the cyclic group
//     │   (Groups and Fourier are independent; both build on NeuronData)
//     ├─ NeuronData    strided neuron matrices, power tables and summaries, worker threads, BLAS threads
//     ├─ Checkpoints   file → named tensors (npy, and the checkpoint formats)
//     └─ JSONOutput    fast streaming JSON writer for machine-readable output
//   CFFTW, CBLAS, CZlib, CHDF5, CZstd  system libraries (Debian: libfftw3-dev, libopenblas-dev, zlib1g-dev,
//                        libhdf5-dev, libzstd-dev)
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
        .library(name: "Analysis", targets: ["Analysis"]),
        .library(name: "Batch", targets: ["Batch"]),
        .library(name: "Reports", targets: ["Reports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        // `swift package generate-documentation` (make docs); plugins build only when invoked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
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
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(name: "JSONOutput", dependencies: ["CKernels"], exclude: ["README.md"]),
        .target(name: "CKernels"),
        .target(name: "NeuronData", dependencies: ["CBLAS"], exclude: ["README.md"]),
        .target(name: "Fourier", dependencies: ["NeuronData", "CFFTW", "CBLAS", "CKernels"], exclude: ["README.md"]),
        .target(name: "Checkpoints", dependencies: ["CZlib", "CHDF5", "CZstd", "CKernels", "JSONOutput"], exclude: ["README.md"]),
        .target(name: "Groups", dependencies: ["NeuronData", "CBLAS", .product(name: "BigInt", package: "BigInt")],
                exclude: ["README.md"]),
        .target(name: "Analysis", dependencies: ["NeuronData", "Fourier", "Groups", "Checkpoints", "CBLAS", "CKernels"], exclude: ["README.md"]),
        .target(name: "Batch", dependencies: ["Analysis", "Checkpoints", "JSONOutput"], exclude: ["README.md"]),
        .target(name: "Reports", dependencies: ["Analysis", "Batch", "NeuronData", "Fourier", "Groups", "Checkpoints", "JSONOutput"], exclude: ["README.md"]),
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
            name: "rendering-benchmark",
            dependencies: ["Analysis", "Reports"],
            path: "Benchmarks/RenderingBenchmark"
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
        .testTarget(name: "CLITests", dependencies: ["irrepscope", "Checkpoints"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Analysis", "Batch"]),
        .testTarget(name: "BatchTests", dependencies: ["Batch", "Analysis", "Checkpoints"]),
        .testTarget(name: "GroupsTests", dependencies: ["Groups", "Fourier"], exclude: ["Fixtures"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Checkpoints", "Groups"], exclude: ["Fixtures"]),
    ]
)
