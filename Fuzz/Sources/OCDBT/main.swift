import Checkpoints
import FuzzSupport

/// The input begins with an OCDBT manifest or B+tree node (told apart by the magic, as long
/// as its header says). A manifest's data files are all the bytes after it; a node's are the
/// whole input (so its references reach nodes and values after it). Checksums are not
/// verified (the fuzzer would rarely get past the CRC-32C); every value is read and its bytes
/// summed, so a reference that escaped the bounds checks is an AddressSanitizer report.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzInput(data, size) { src in
        let all = src.all
        let manifest = all.count >= 12 && all[0] == 0x0c && all[1] == 0xdb && all[2] == 0x3a && all[3] == 0x2a
        let declared = all.count >= 12 ? UInt64(littleEndian: all.loadUnaligned(fromByteOffset: 4, as: UInt64.self)) : 0
        let tail = ByteSource(bytes: all[Int(min(declared, UInt64(all.count)))...], path: "fuzz-data")
        let store = try OCDBTStore(encoded: src, verifyChecksums: false) { _ in manifest ? tail : src }
        var sum = 0
        for key in store.keys.prefix(4096) {
            guard let v = try? store.value(forKey: key) else { continue }
            withExtendedLifetime(v.source) { for b in v.bytes { sum &+= Int(b) } }
        }
        if sum == -1 { print(sum) }
    }
}
runFuzzer { data, size in fuzz(data, size) }
