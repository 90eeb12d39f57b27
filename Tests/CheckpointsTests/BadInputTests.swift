import Foundation
import XCTest
@testable import Checkpoints

/// Truncated, corrupted and hostile files: each must end in one `CheckpointError` naming the
/// file, never in a crash, a hang or an unbounded allocation.
final class BadInputTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func write(_ bytes: [UInt8], _ name: String) -> String {
        let p = tmp.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    /// Loading `bytes` must throw a `CheckpointError` whose message contains `expected`.
    func assertRejected(_ bytes: [UInt8], name: String = "bad.bin", _ expected: String? = nil,
                        file: StaticString = #filePath, line: UInt = #line) {
        let p = write(bytes, name)
        do {
            let c = try CheckpointLoader.load(path: p)
            XCTFail("accepted (\(c.format), \(c.tensors.count) tensors)", file: file, line: line)
        } catch let e as CheckpointError {
            XCTAssertEqual(e.path, p, file: file, line: line)
            if let expected { XCTAssertTrue(e.message.contains(expected), "message: \(e.message)", file: file, line: line) }
        } catch {
            XCTFail("not a CheckpointError: \(error)", file: file, line: line)
        }
    }

    static var fixtureFiles: [String] {
        (try! FileManager.default.contentsOfDirectory(atPath: FixtureTests.fixtures.path)).filter { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: FixtureTests.fixture(name), isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue && !name.hasSuffix(".json")
        }.sorted()
    }

    func fixtureBytes(_ name: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: FixtureTests.fixture(name))!) }

    // MARK: truncation and corruption of every fixture

    func testTruncatedFixturesAreRejected() {
        for f in Self.fixtureFiles {
            let b = fixtureBytes(f)
            for cut in Set([0, 1, 7, 9, b.count / 3, b.count / 2, b.count - 23, b.count - 1]) where cut >= 0 && cut < b.count {
                assertRejected(Array(b[0..<cut]), name: "cut-\(cut)-\(f)")
            }
        }
    }

    /// Flipped bytes anywhere: accepted or rejected, but never a crash (values are read too).
    func testCorruptedFixturesNeverCrash() throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int { seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return Int(seed >> 33) }
        for f in Self.fixtureFiles {
            let original = fixtureBytes(f)
            for _ in 0..<80 {
                var b = original
                for _ in 0..<(1 + next() % 3) { b[next() % b.count] = UInt8(truncatingIfNeeded: next()) }
                let p = write(b, "corrupt-\(f)")
                do {
                    let c = try CheckpointLoader.load(path: p)
                    for t in c.tensors { _ = try t.contiguousLittleEndianBytes() }
                } catch is CheckpointError {
                } catch {
                    XCTFail("\(f): not a CheckpointError: \(error)")
                }
            }
        }
    }

    // MARK: safetensors

    func safetensors(_ header: String, data: Int) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { out += $0 }
        return out + h + [UInt8](repeating: 1, count: data)
    }

    func testSafetensorsBadHeaders() {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertNoThrow(try SafetensorsFormat.read(ByteSource(bytes: safetensors(ok, data: 8), path: "x")))
        assertRejected(safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,80]}}"#, data: 8), name: "x.safetensors", "outside")
        assertRejected(safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8), name: "x.safetensors", "overlaps")
        assertRejected(safetensors(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8), name: "x.safetensors", "gap")
        assertRejected(safetensors(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: 8), name: "x.safetensors", "cover")
        assertRejected(safetensors(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), name: "x.safetensors", "needs 12 bytes")
        assertRejected(safetensors(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}"#, data: 8), name: "x.safetensors", "absurd")
        assertRejected(safetensors(#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, data: 8), name: "x.safetensors", "unsupported dtype")
        assertRejected(safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, data: 8), name: "x.safetensors", "JSON")
        assertRejected(safetensors(#"{"a":"#.padding(toLength: 8, withPad: " ", startingAt: 0) + String(repeating: "[", count: 5000), data: 0), name: "x.safetensors", "nested")
        // A header length of 200 MB (more than the reference library allows) in a tiny file.
        var huge: [UInt8] = []
        withUnsafeBytes(of: UInt64(200_000_000).littleEndian) { huge += $0 }
        huge += Array("{}      ".utf8)
        XCTAssertThrowsError(try SafetensorsFormat.read(ByteSource(bytes: huge, path: "h"))) { e in
            XCTAssertTrue((e as! CheckpointError).message.contains("100 MB"))
        }
    }

    // MARK: pickles inside torch archives

    /// A stored zip of `members` (CRCs are not checked for stored members).
    static func storedZip(_ members: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func le16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func le32(_ v: Int, _ a: inout [UInt8]) { for i in 0..<4 { a.append(UInt8(v >> (8 * i) & 0xff)) } }
        for (name, data) in members {
            let n = Array(name.utf8)
            let offset = out.count
            le32(0x0403_4b50, &out); le16(20, &out); le16(0, &out); le16(0, &out); le32(0, &out); le32(0, &out)
            le32(data.count, &out); le32(data.count, &out); le16(n.count, &out); le16(0, &out)
            out += n + data
            le32(0x0201_4b50, &central); le16(20, &central); le16(20, &central); le16(0, &central); le16(0, &central)
            le32(0, &central); le32(0, &central); le32(data.count, &central); le32(data.count, &central)
            le16(n.count, &central); le16(0, &central); le16(0, &central); le16(0, &central); le16(0, &central)
            le32(0, &central); le32(offset, &central)
            central += n
        }
        let cdOffset = out.count
        out += central
        le32(0x0605_4b50, &out); le16(0, &out); le16(0, &out); le16(members.count, &out); le16(members.count, &out)
        le32(central.count, &out); le32(cdOffset, &out); le16(0, &out)
        return out
    }

    /// A tiny pickle writer for hand-made hostile inputs.
    struct P {
        var b: [UInt8] = [0x80, 2]
        mutating func global(_ m: String, _ n: String) { b += [0x63] + Array("\(m)\n\(n)\n".utf8) }
        mutating func str(_ s: String) { let u = Array(s.utf8); b += [0x58]; withUnsafeBytes(of: UInt32(u.count).littleEndian) { b += $0 }; b += u }
        mutating func int(_ v: Int32) { b += [0x4A]; withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        mutating func long(_ v: Int64) { b += [0x8A, 8]; withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        mutating func mark() { b.append(0x28) }
        mutating func tuple() { b.append(0x74) }
        mutating func op(_ o: UInt8) { b.append(o) }
        /// `{'w': _rebuild_tensor_v2(storage(numel), offset, size, stride, False, OrderedDict())}`
        static func tensorDict(numel: Int64, offset: Int64, size: [Int64], stride: [Int64], key: String = "0") -> [UInt8] {
            var p = P()
            p.op(0x7D); p.mark(); p.str("w")
            p.global("torch._utils", "_rebuild_tensor_v2")
            p.mark()
            p.mark(); p.str("storage"); p.global("torch", "FloatStorage"); p.str(key); p.str("cpu"); p.long(numel); p.tuple()
            p.op(0x51)  // BINPERSID
            p.long(offset)
            p.mark(); for s in size { p.long(s) }; p.tuple()
            p.mark(); for s in stride { p.long(s) }; p.tuple()
            p.op(0x89)
            p.global("collections", "OrderedDict"); p.op(0x29); p.op(0x52)
            p.tuple(); p.op(0x52)
            p.op(0x75); p.op(0x2E)
            return p.b
        }
    }

    func torchFile(_ pickle: [UInt8], storage: [UInt8] = [UInt8](repeating: 0, count: 16)) -> [UInt8] {
        Self.storedZip([("archive/data.pkl", pickle), ("archive/data/0", storage)])
    }

    func testHandMadeTorchFileIsRead() throws {
        let p = write(torchFile(P.tensorDict(numel: 4, offset: 1, size: [3], stride: [1])), "ok.pt")
        let c = try CheckpointLoader.load(path: p)
        XCTAssertEqual(c.format, "torch-zip")
        XCTAssertEqual(c.tensors.map(\.shape), [[3]])
    }

    func testOutOfRangeStorageViews() {
        assertRejected(torchFile(P.tensorDict(numel: 4, offset: 0, size: [10], stride: [1])), name: "a.pt", "beyond its storage")
        assertRejected(torchFile(P.tensorDict(numel: 4, offset: 3, size: [2], stride: [1])), name: "b.pt", "beyond its storage")
        assertRejected(torchFile(P.tensorDict(numel: 4, offset: 0, size: [2, 2], stride: [-1, 1])), name: "c.pt", "beyond its storage")
        assertRejected(torchFile(P.tensorDict(numel: 100, offset: 0, size: [4], stride: [1])), name: "d.pt", "only 16 bytes")
        assertRejected(torchFile(P.tensorDict(numel: 4, offset: -1, size: [4], stride: [1])), name: "e.pt", "offset")
        assertRejected(torchFile(P.tensorDict(numel: 4, offset: 0, size: [4], stride: [1], key: "7")), name: "f.pt", "missing")
    }

    func testAbsurdShapes() {
        assertRejected(torchFile(P.tensorDict(numel: 4, offset: 0, size: [1 << 40, 1 << 40], stride: [1, 1])), name: "a.pt", "absurd")
        assertRejected(torchFile(P.tensorDict(numel: 4, offset: 0, size: [1 << 62, 4], stride: [1 << 62, 1])), name: "b.pt")
        assertRejected(torchFile(P.tensorDict(numel: Int64.max / 2, offset: 0, size: [4], stride: [1])), name: "c.pt")
        // .npy with a shape whose byte count overflows.
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let npy = NPYFormat.magic + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [0, 0, 0, 0]
        assertRejected(npy, name: "x.npy", "absurd")
    }

    func testDeepNestingIsRejected() {
        var p = P()
        for _ in 0..<100_000 { p.op(0x5D) }      // EMPTY_LIST
        for _ in 0..<99_999 { p.op(0x61) }       // APPEND: each list into the one below
        p.op(0x2E)
        assertRejected(torchFile(p.b), name: "deep.pt", "nested")
        // msgpack: 100 000 one-element arrays inside each other.
        assertRejected([0x81, 0xa1, 0x61] + [UInt8](repeating: 0x91, count: 100_000) + [0xc0], name: "deep.msgpack", "nested")
    }

    func testMemoAbuse() {
        var limits = PickleLimits()
        limits.maxMemo = 1000
        var p = P()
        p.op(0x4E)
        for i in 0..<2000 { p.op(0x72); withUnsafeBytes(of: UInt32(i * 1_000_003).littleEndian) { p.b += $0 } }  // LONG_BINPUT
        p.op(0x2E)
        XCTAssertThrowsError(try p.b.withUnsafeBytes { raw in var vm = PickleMachine(raw, limits: limits); _ = try vm.run() }) { e in
            XCTAssertTrue((e as! PickleMachine.Failure).message.contains("memo"))
        }
        // A get of an index never put.
        assertRejected(torchFile([0x80, 2, 0x6A, 0xff, 0xff, 0xff, 0x7f, 0x2E]), name: "get.pt", "memo index")
        // Exponential sharing ("billion laughs"): list_k = [list_{k-1}, list_{k-1}], 60 levels.
        var q = P()
        q.op(0x5D); q.op(0x71); q.op(0)
        for k in 0..<60 { q.mark(); q.op(0x68); q.op(UInt8(k)); q.op(0x68); q.op(UInt8(k)); q.op(0x6C); q.op(0x71); q.op(UInt8(k + 1)) }
        q.op(0x2E)
        var small = PickleLimits()
        small.maxObjects = 200_000
        XCTAssertThrowsError(try q.b.withUnsafeBytes { raw -> Void in
            var vm = PickleMachine(raw, limits: small)
            let root = try vm.run()
            var r = PickleTreeReader(path: "laughs", rootName: "r", limits: small) { _ in throw CheckpointError(path: "", "") }
            try r.walk(root)
        }) { e in XCTAssertTrue((e as! CheckpointError).message.contains("too large")) }
        // The same inside a torch archive with default limits: rejected quickly.
        let start = Date()
        assertRejected(torchFile(q.b), name: "laughs.pt", "too large")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testHugeLengthClaimsFailWithoutAllocating() {
        // BINUNICODE8 / BINBYTES8 claiming 2⁶² bytes.
        assertRejected(torchFile([0x80, 4, 0x8D] + [0, 0, 0, 0, 0, 0, 0, 0x40] + [0x2E]), name: "s.pt", "exceeds the limit")
        assertRejected(torchFile([0x80, 4, 0x8E] + [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f] + [0x2E]), name: "b.pt", "exceeds the limit")
        // msgpack map claiming 2³² − 1 entries; bin32 claiming 4 GB.
        assertRejected([0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61, 0x01], name: "m.msgpack")
        assertRejected([0x81, 0xa1, 0x61, 0xc6, 0xff, 0xff, 0xff, 0xff, 0], name: "b.msgpack", "truncated")
        // Flax array whose shape claims more than its bytes.
        let payload: [UInt8] = [0x93, 0x91, 0xcd, 0x10, 0x00, 0xa7] + Array("float32".utf8) + [0xc4, 4, 0, 0, 0, 0]
        assertRejected([0x81, 0xa1, 0x61, 0xc7, UInt8(payload.count), 1] + payload, name: "f.msgpack", "needs 16384 bytes")
    }

    func testLegacyStorageCountBeyondFile() throws {
        var b = fixtureBytes("legacy.pt")
        // The first storage's int64 element count follows the last pickle: make it huge.
        let c = try CheckpointLoader.load(path: FixtureTests.fixture("legacy.pt"))
        let firstData = c.tensors.map(\.storageStart).min()!
        for i in 0..<8 { b[firstData - 8 + i] = i == 6 ? 0x7f : 0xff }
        assertRejected(b, name: "legacy.pt", "claims")
    }

    func testZipForgeries() {
        // A deflated member claiming 4 GB from 3 compressed bytes.
        var z = Self.storedZip([("a.npy", [0x03, 0x00, 0x00])])
        let cd = z.count - 22 - (46 + 5)
        z[cd + 10] = 8                              // method: deflate
        z[cd + 24] = 0xf0; z[cd + 25] = 0xff; z[cd + 26] = 0xff; z[cd + 27] = 0xff  // uncompressed size
        assertRejected(z, name: "bomb.npz", "claims")
        // Central directory pointing past the end of the file.
        var y = Self.storedZip([("a.npy", [1, 2, 3])])
        y[y.count - 6] = 0xff; y[y.count - 5] = 0xff
        assertRejected(y, name: "off.npz", "outside")
        // Corrupt deflate data.
        var d = Self.storedZip([("a.npy", [0xff, 0xff, 0xff, 0xff])])
        let cd2 = d.count - 22 - (46 + 5)
        d[cd2 + 10] = 8
        d[cd2 + 24] = 100
        assertRejected(d, name: "corrupt.npz", "deflate")
    }

    // MARK: fuzz findings (Fuzz/README.md)

    /// libFuzzer (fuzz-Pickle, crash-3e271f0c…): a dict key that is a tuple nested
    /// thousands deep overflowed the stack while being turned into a key path.
    func testFuzzFindingDeeplyNestedTupleKey() throws {
        let hex =
            "80027d71002883838383c3838383838383838383838383835163636e6c6c656374696f6e730a4f1d64650100000d44696374" +
            "0a7100295271012858010000006171025d718989898989898989898989898989898989898989898989892932323232307030" +
            "3030303030303030303638343539320a61800263636f6c6c656374696f648380027d85858585858585858585446e730a4f72" +
            "646572313138303539313632303731373431393330333432344c0a4a898985858585858f85858580027d7100285801000000" +
            "777101630a5f72650071118989898989617267705e89687273652e69348989898989898989890a2952711474711552711675" +
            "2e85858589898989898989898989898989898958898989293232306634307030303030308585000085858583"
        // The finding's pickle runs; walking its tree is what overflowed. No early exit: the
        // 100 000-level case below must always run too.
        let root = try FixtureTests.unhex(hex).withUnsafeBytes { raw in
            var vm = PickleMachine(raw)
            return try? vm.run()
        }
        XCTAssertNotNil(root, "the fuzz finding's pickle no longer runs, so its tree walk is not exercised")
        if let root {
            var r = PickleTreeReader(path: "fuzz", rootName: "r") { sid in
                StorageSlice(source: ByteSource(bytes: [UInt8](repeating: 0, count: 64), path: "s"), start: 0, length: 64,
                             dtype: sid.dtype, byteOrder: .little)
            }
            _ = try? r.walk(root)
        }
        // The same shape built on purpose: {((((…)))): 1} 100 000 levels deep.
        var p = P()
        p.op(0x7D); p.op(0x4E)
        for _ in 0..<100_000 { p.op(0x85) }   // TUPLE1 around the previous item
        p.int(1); p.op(0x73); p.op(0x2E)
        let c = try CheckpointLoader.load(path: write(torchFile(p.b), "tuplekey.pt"))
        XCTAssertEqual(c.metadata.count, 1)
    }

    /// A call of a call of a call … (REDUCE chains) must not recurse without bound either.
    func testLongCallChains() throws {
        var p = P()
        p.op(0x7D); p.str("k")
        p.global("torch._utils", "_rebuild_parameter")
        for _ in 0..<50_000 { p.op(0x29); p.op(0x52) }  // f()()()…
        p.op(0x73); p.op(0x2E)
        let c = try CheckpointLoader.load(path: write(torchFile(p.b), "chain.pt"))
        XCTAssertEqual(c.opaque.count, 1)
    }

    func testUnknownFormat() {
        assertRejected(Array("hello world, not a checkpoint".utf8), name: "x.pt", "unrecognised file format")
    }
}

/// Issue 15, classes 5–7: files that are not regular, huge .npy headers, messages.
final class NonRegularAndHeaderTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-nonreg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func rejected(_ path: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try CheckpointLoader.load(path: path)
            XCTFail("accepted \(path)", file: file, line: line)
        } catch let e as CheckpointError {
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssertTrue(e.message.contains(expected), "message: \(e.message)", file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix(path + ": "), file: file, line: line)
        } catch {
            XCTFail("not a CheckpointError: \(error)", file: file, line: line)
        }
    }

    /// A FIFO with no writer would block open(2) forever: it must be refused at once,
    /// directly and through a symbolic link, and `recognizes` must not block either.
    func testFIFOIsRefusedWithoutBlocking() throws {
        let fifo = tmp.appendingPathComponent("model.pt").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let link = tmp.appendingPathComponent("link.pt").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fifo)
        let start = Date()
        rejected(fifo, "is a FIFO (named pipe), not a regular file")
        rejected(link, "is a FIFO (named pipe), not a regular file")
        XCTAssertFalse(CheckpointLoader.recognizes(path: fifo))
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    /// /dev/zero and /dev/urandom never end: refused before a byte is read.
    func testDevicesAreRefused() {
        rejected("/dev/zero", "is a character device, not a regular file")
        rejected("/dev/urandom", "is a character device, not a regular file")
        rejected("/dev/null", "is a character device, not a regular file")
    }

    func testDirectoryAndMissingFile() throws {
        rejected(tmp.path, "is a directory, not a regular file")
        let link = tmp.appendingPathComponent("dir.pt").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: tmp.path)
        rejected(link, "is a directory, not a regular file")
        rejected(tmp.appendingPathComponent("nothing.pt").path, "cannot open file: No such file or directory")
    }

    /// A link to a regular file is followed and read.
    func testSymlinkToRegularFileIsRead() throws {
        let p = tmp.appendingPathComponent("a.npy").path
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"
        var b: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        b += [Float(1.5), 2.5].withUnsafeBytes { Array($0) }
        FileManager.default.createFile(atPath: p, contents: Data(b))
        let link = tmp.appendingPathComponent("b.npy").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: p)
        XCTAssertEqual(try CheckpointLoader.load(path: link).tensors[0].doubleValues(), [1.5, 2.5])
    }

    /// Class 6: an 80 MB header of spaces (here: a declared 80 MB header, 1 MB present, and
    /// a real 100 KB one) is refused from its length alone, before it is decoded.
    func testHugeNPYHeaderIsRefusedFromItsLength() {
        func v2(_ headerLength: Int, present: Int) -> [UInt8] {
            var b: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0]
            b += withUnsafeBytes(of: UInt32(headerLength).littleEndian) { Array($0) }
            b += [UInt8(ascii: "{")] + [UInt8](repeating: 0x20, count: present)
            return b
        }
        for (declared, present) in [(80_000_000, 1_000_000), (100_000, 100_000)] {
            let p = tmp.appendingPathComponent("h\(declared).npy").path
            FileManager.default.createFile(atPath: p, contents: Data(v2(declared, present: present)))
            let start = Date()
            rejected(p, "header of \(declared) bytes exceeds the limit of 65536 bytes")
            XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        }
    }

    /// Class 7: a negative shape is shown as Python writes it, not as Swift internals.
    func testNegativeNPYShapeMessage() {
        let p = tmp.appendingPathComponent("neg.npy").path
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }\n"
        let b: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        FileManager.default.createFile(atPath: p, contents: Data(b))
        rejected(p, "shape (-1, 3) is not a tuple of non-negative integers")
    }

    /// safetensors: a header length past 100 MB (up to 2⁶⁴ − 1) or past the end of the file is
    /// named for what it is, not "unrecognised file format".
    func testSafetensorsHeaderLengths() {
        for (n, expected) in [(UInt64(200_000_000), "header length 200000000 exceeds the 100 MB limit"),
                              (UInt64.max, "header length 18446744073709551615 exceeds the 100 MB limit"),
                              (UInt64(1000), "truncated header: 1000 bytes announced, 12 present")] {
            let p = tmp.appendingPathComponent("h\(n).safetensors").path
            let b = withUnsafeBytes(of: n.littleEndian) { Array($0) } + Array("{\"a\": {\"dtyp".utf8)
            FileManager.default.createFile(atPath: p, contents: Data(b))
            rejected(p, expected)
        }
    }

    func testDisplayTextEscapesAndTruncates() {
        XCTAssertEqual(DisplayText.escaped("a\u{1B}[2Jb\n\u{7}"), "a\\e[2Jb\\n\\u{7}")
        XCTAssertEqual(DisplayText.escaped("plain µ"), "plain µ")
        let long = String(repeating: "x", count: 1_000_000)
        XCTAssertEqual(DisplayText.truncated(long), String(repeating: "x", count: 200) + "… (999800 more characters)")
    }
}
