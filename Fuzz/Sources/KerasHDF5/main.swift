#if canImport(Glibc)
import Glibc
#endif
import Checkpoints
import FuzzSupport

// Keras weights in HDF5 (KerasHDF5Format): libhdf5 opens a file, so each input is written to
// one scratch file per process first; the Swift side (layer walk, dataset sizes checked before
// reading, names) is what the coverage guides.
let scratch = "/tmp/irrepscope-fuzz-keras-\(getpid()).h5"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let f = fopen(scratch, "wb") else { return 0 }
    if size > 0, let data { fwrite(data, 1, size, f) }
    fclose(f)
    do {
        let source = try ByteSource(path: scratch)
        try readAndTouch(KerasHDF5Format.self, source)
    } catch {}
    return 0
}
runFuzzer { data, size in fuzz(data, size) }
