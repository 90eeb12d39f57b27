import Checkpoints
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzInput(data, size) { source in
        let zip = try ZipArchive(source)
        for e in zip.entries.prefix(32) {
            // Lazily, a prefix (as a torch storage or an npy header asks), then the whole member.
            let (l, lr) = try zip.lazyContents(of: e, prefix: min(e.uncompressedSize, 256))
            _ = try l.bytes(lr).reduce(0 as UInt8, &+)
            let (s, r) = try zip.contents(of: e)
            _ = try s.bytes(r).reduce(0 as UInt8, &+)
        }
    }
}
runFuzzer { data, size in fuzz(data, size) }
