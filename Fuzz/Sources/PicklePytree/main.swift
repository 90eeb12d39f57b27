import Checkpoints
import FuzzSupport

// Plain pickles of NumPy / JAX pytrees (PicklePytreeFormat): the inert pickle machine, the
// numpy reconstruct/setstate recognition and the key-path walk.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzInput(data, size) { try readAndTouch(PicklePytreeFormat.self, $0) }
}
runFuzzer { data, size in fuzz(data, size) }
