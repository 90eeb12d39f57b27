// swift-tools-version:6.0
// libFuzzer harnesses for the checkpoint parsers. Build only with the fuzzer sanitizer
// (libFuzzer supplies `main`):
//
//   swift build -c release -Xswiftc -sanitize=fuzzer,address
//
// See README.md for running them.
import PackageDescription

let parsers = ["Zip", "Pickle", "TorchZip", "TorchLegacy", "Safetensors", "NPY", "NPZ", "FlaxMsgpack", "PicklePytree", "KerasHDF5", "OCDBT"]

let package = Package(
    name: "IrrepScopeFuzz",
    dependencies: [.package(name: "IrrepScope", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "Checkpoints", package: "IrrepScope")]),
    ] + parsers.map { p in
        .executableTarget(name: "fuzz-\(p)", dependencies: ["FuzzSupport", .product(name: "Checkpoints", package: "IrrepScope")],
                          path: "Sources/\(p)")
    }
)
