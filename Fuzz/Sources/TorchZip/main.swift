import Checkpoints
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzInput(data, size) { try readAndTouch(TorchZipFormat.self, $0) }
}
runFuzzer { data, size in fuzz(data, size) }
