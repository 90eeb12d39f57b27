#if canImport(Glibc)
import Glibc
#endif
import Checkpoints

/// Runs `body` on a copy of the fuzzer's input. Any thrown error is a correct outcome; a
/// crash, a sanitizer report, a hang or an out-of-memory is a finding.
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: (ByteSource) throws -> Void) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let source = ByteSource(bytes: bytes, path: "fuzz-input")
    do { try body(source) } catch {}
    return 0
}

/// Reads a checkpoint with `format` and touches every tensor's bytes, so that a view that
/// slipped past the bounds checks is caught by AddressSanitizer.
public func readAndTouch(_ format: any CheckpointFormat.Type, _ source: ByteSource) throws {
    let c = try format.read(source)
    for t in c.tensors.prefix(64) where t.elementCount <= 1 << 20 {
        _ = try t.contiguousLittleEndianBytes()
        if !t.dtype.isComplex { _ = try t.doubleValues() }
    }
    for m in c.metadata.prefix(64) { _ = m.value.description }
}

public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: FuzzTarget) -> Int32

/// Hands control to libFuzzer's driver (the executable's own `main`, since SwiftPM renames
/// an executable's entry point and libFuzzer's `main` would never be called).
public func runFuzzer(_ target: FuzzTarget) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, target))
}
