import Checkpoints
import FuzzSupport

/// The inert VM and the tensor recognition over it; storages resolve to the input itself.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzInput(data, size) { source in
        var limits = PickleLimits()
        limits.maxObjects = 1_000_000
        limits.maxStringBytes = 1 << 20
        var vm = PickleMachine(source.all, limits: limits)
        let root: PickleObject
        do { root = try vm.run() } catch { return }
        var r = PickleTreeReader(path: "fuzz", rootName: "root", limits: limits) { sid in
            StorageSlice(source: source, start: 0, length: source.count, dtype: sid.dtype, byteOrder: .little)
        }
        try r.walk(root)
        for t in r.tensors.prefix(16) where t.elementCount <= 1 << 16 { _ = try t.contiguousLittleEndianBytes() }
    }
}
runFuzzer { data, size in fuzz(data, size) }
