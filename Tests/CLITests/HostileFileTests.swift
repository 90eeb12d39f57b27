import Foundation
import XCTest

/// Issue 15: hostile files through the command line, each built here (no large committed
/// files), run under a 4 GiB address-space limit and a timeout; every run must end in a
/// clean error naming the file (or a correct answer), with bounded peak memory (measured by
/// `wait4` for that child) and no output file left behind.
final class HostileFileTests: XCTestCase {
    var dir: ScratchDirectory!
    override func setUp() { dir = ScratchDirectory() }
    override func tearDown() { dir = nil }

    func write(_ bytes: [UInt8], _ name: String) -> String {
        let p = dir.path(name)
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    /// `run` ended with exit status 1, a message naming `file` and containing `expected`, no
    /// signal, no timeout, under `peakMiB`.
    func assertCleanError(_ r: LimitedRun, file: String, _ expected: String, peakMiB: Double = 300,
                          _ f: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.timedOut, "timed out", file: f, line: line)
        XCTAssertNil(r.signal, "killed by signal \(r.signal ?? 0): \(r.stderr.suffix(500))", file: f, line: line)
        XCTAssertEqual(r.status, 1, r.stderr, file: f, line: line)
        XCTAssertTrue(r.stderr.contains(file + ": "), "does not name \(file): \(r.stderr.prefix(500))", file: f, line: line)
        XCTAssertTrue(r.stderr.contains(expected), "expected '\(expected)' in: \(r.stderr.prefix(800))", file: f, line: line)
        XCTAssertLessThan(r.peakMiB, peakMiB, "peak memory", file: f, line: line)
    }

    // MARK: class 5, non-regular files

    func testFIFOAndDevicesInEveryCommand() throws {
        let fifo = dir.path("run.pt")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for path in [fifo, "/dev/zero", "/dev/urandom"] {
            let what = path == fifo ? "is a FIFO (named pipe), not a regular file" : "is a character device, not a regular file"
            let out = dir.path("out.safetensors")
            for args in [["inspect", path], ["convert", path, out], ["spectrum", path, "--p", "7"], ["analyze", path]] {
                let r = try runLimited(args, timeout: 20)
                assertCleanError(r, file: path, what)
                XCTAssertFalse(FileManager.default.fileExists(atPath: out))
            }
        }
    }

    // MARK: class 4, decompression bombs

    /// The members of the state_dict fixture, with storage `data/0` (20 float32 values) replaced
    /// by a deflated GiB of zeros that still announces its true size (a 1030:1 member).
    func torchBomb(aliases: Int = 0) throws -> String {
        let fixture = try [UInt8](Data(contentsOf: checkpointFixtures.appendingPathComponent("state_dict.pt")))
        // Read the fixture's stored members back through its central directory.
        let source = try ZipArchiveReaderForTests(fixture)
        var w = ZipWriter()
        let bomb = deflatedZeros(mebibytes: 1024)
        for (name, data) in source.members {
            if name == "state_dict/data/0" { w.deflated(name, bomb.bytes, crc: bomb.crc, size: bomb.size) } else { w.stored(name, data) }
        }
        for i in 0..<aliases { w.aliases.append(("state_dict/data/alias\(i)", "state_dict/data/0")) }
        return write(w.bytes(), aliases > 0 ? "shared.pt" : "bomb.pt")
    }

    /// The storage declares 20 elements: `inspect` inflates nothing, `convert` 80 bytes.
    func testTorchStorageBombInflatesOnlyWhatTheStorageDeclares() throws {
        let p = try torchBomb()
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: p)[.size] as! Int, 2_000_000)
        let inspect = try runLimited(["inspect", p, "--format", "json"])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertLessThan(inspect.peakMiB, 200)
        let out = dir.path("bomb.safetensors")
        let convert = try runLimited(["convert", p, out])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        XCTAssertLessThan(convert.peakMiB, 200)
        let listed = try runLimited(["inspect", out, "--format", "json"])
        XCTAssertEqual(listed.status, 0)
        XCTAssertEqual(inspect.stdout.components(separatedBy: "\"name\"").count, listed.stdout.components(separatedBy: "\"name\"").count)
    }

    /// 16 directory entries sharing one deflated member: refused when the archive is opened.
    func testOverlappingMembersAreRefused() throws {
        let p = try torchBomb(aliases: 15)
        for args in [["inspect", p], ["convert", p, dir.path("o.npz")], ["analyze", p]] {
            assertCleanError(try runLimited(args), file: p, "overlap (directory entries sharing data: refused as a zip bomb)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("o.npz")))
        }
        // The same in an npz.
        var w = ZipWriter()
        let member = deflatedZeros(prefix: npyHeader(descr: "<f4", shape: [1 << 24]), mebibytes: 64)
        w.deflated("a.npy", member.bytes, crc: member.crc, size: member.size)
        for i in 0..<15 { w.aliases.append(("b\(i).npy", "a.npy")) }
        let npz = write(w.bytes(), "shared.npz")
        assertCleanError(try runLimited(["inspect", npz]), file: npz, "overlap")
    }

    /// An npz member of a GiB of zeros in 1 MB: `inspect` reads its header only; reading
    /// its values is refused by the compression-ratio cap before anything is inflated.
    func testNPZBombIsListedButNotInflated() throws {
        var w = ZipWriter()
        let member = deflatedZeros(prefix: npyHeader(descr: "<f4", shape: [1 << 18, 1 << 10]), mebibytes: 1024)
        w.deflated("W.npy", member.bytes, crc: member.crc, size: member.size)
        let p = write(w.bytes(), "bomb.npz")
        let inspect = try runLimited(["inspect", p])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("[262144, 1024]"), inspect.stdout)
        XCTAssertLessThan(inspect.peakMiB, 200)
        let out = dir.path("bomb.safetensors")
        for args in [["convert", p, out], ["spectrum", p, "--p", "1024"]] {
            assertCleanError(try runLimited(args), file: p, "above the limit of 100:1 (a decompression bomb? raise it with IRREPSCOPE_MAX_COMPRESSION_RATIO)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }
}

/// Reads the stored members of a small zip (test fixtures) in central-directory order.
struct ZipArchiveReaderForTests {
    var members: [(String, [UInt8])] = []
    init(_ b: [UInt8]) throws {
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        var e = b.count - 22
        while u32(e) != 0x0605_4b50 { e -= 1 }
        var q = u32(e + 16)
        for _ in 0..<u16(e + 10) {
            let csize = u32(q + 20), nameLen = u16(q + 28), extra = u16(q + 30), comment = u16(q + 32), off = u32(q + 42)
            let name = String(decoding: b[(q + 46)..<(q + 46 + nameLen)], as: UTF8.self)
            let start = off + 30 + u16(off + 26) + u16(off + 28)
            members.append((name, Array(b[start..<(start + csize)])))
            q += 46 + nameLen + extra + comment
        }
    }
}

/// Issue 15 class 3 (amplification through the pickle memo and msgpack), and the display
/// items of issue 12 (long lists, long strings, control characters).
final class AmplificationTests: XCTestCase {
    var dir: ScratchDirectory!
    override func setUp() { dir = ScratchDirectory() }
    override func tearDown() { dir = nil }

    func write(_ bytes: [UInt8], _ name: String) -> String {
        let p = dir.path(name)
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    func assertBudgetError(_ p: String, _ f: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runLimited(["inspect", p], timeout: 30)
        XCTAssertFalse(r.timedOut, file: f, line: line)
        XCTAssertNil(r.signal, r.stderr, file: f, line: line)
        XCTAssertEqual(r.status, 1, file: f, line: line)
        XCTAssertTrue(r.stderr.contains(p + ": "), r.stderr, file: f, line: line)
        XCTAssertTrue(r.stderr.contains("key paths and strings would take more than"), String(r.stderr.prefix(500)), file: f, line: line)
        XCTAssertLessThan(r.stdout.utf8.count, 1000, file: f, line: line)
        XCTAssertLessThan(r.peakMiB, 500, file: f, line: line)
        XCTAssertLessThan(r.seconds, 20, file: f, line: line)
    }

    static let bigKey = String(repeating: "k", count: 1 << 20)

    /// {K: [{K: None} × 200 000]} with one memoized 1 MB key K: 400 GB of key paths.
    func testMemoizedKeyReferencedManyTimes() throws {
        var p = PickleBuilder()
        p.dict(); p.string(Self.bigKey); p.put(0); p.list(); p.mark()
        for _ in 0..<200_000 { p.dict(); p.get(0); p.none(); p.setitem() }
        p.appends(); p.setitem(); p.stop()
        try assertBudgetError(write(torchZip(p.b), "many.pt"))
    }

    /// 400 dicts nested under one memoized 1 MB key: key paths of 1, 2, … 400 MB.
    func testNestedDictsUnderAMemoizedKey() throws {
        var p = PickleBuilder()
        p.dict(); p.string(Self.bigKey); p.put(0)
        for _ in 0..<399 { p.dict(); p.get(0) }
        p.none()
        for _ in 0..<400 { p.setitem() }
        p.stop()
        try assertBudgetError(write(torchZip(p.b), "nested.pt"))
    }

    /// One memoized 1 MB string as 100 000 metadata values: 100 GB to print.
    func testMemoizedStringPrintedManyTimes() throws {
        var p = PickleBuilder()
        p.dict(); p.string("a"); p.list(); p.mark(); p.string(Self.bigKey); p.put(0)
        for _ in 1..<100_000 { p.get(0) }
        p.appends(); p.setitem(); p.stop()
        try assertBudgetError(write(torchZip(p.b), "strings.pt"))
    }

    /// Flax msgpack: an array of 10⁶ nils under a 1 MB key.
    func testMsgpackNilsUnderALongKey() throws {
        var b: [UInt8] = [0x81, 0xdb]
        b += withUnsafeBytes(of: UInt32(1 << 20).bigEndian) { Array($0) } + Array(Self.bigKey.utf8)
        b += [0xdd] + withUnsafeBytes(of: UInt32(1_000_000).bigEndian) { Array($0) }
        b += [UInt8](repeating: 0xc0, count: 1_000_000)
        try assertBudgetError(write(b, "nils.msgpack"))
    }

    /// Issue 12: a per-step loss list is one entry (length, first and last values) in the
    /// table and an array in JSON; a long string is cut in the table; ESC is escaped.
    func testLongListsAndStringsInInspect() throws {
        var p = PickleBuilder()
        p.dict(); p.mark()
        p.string("train_losses"); p.list(); p.mark()
        for i in 0..<5000 { p.float(1 / Double(i + 1)) }
        p.appends()
        p.string("betas"); p.list(); p.mark(); p.float(0.9); p.float(0.98); p.appends()
        p.string("note\u{1B}[2J"); p.string(String(repeating: "x", count: 5000))
        p.setitems(); p.stop()
        let path = write(torchZip(p.b), "run.pt")
        let table = try CLI.run(["inspect", path])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("  train_losses = [5000 values: 1.0, 0.5, …, 0.0002]\n"), table.stdout)
        XCTAssertTrue(table.stdout.contains("  betas.0 = 0.9\n  betas.1 = 0.98\n"), table.stdout)
        XCTAssertTrue(table.stdout.contains("  note\\e[2J = " + String(repeating: "x", count: 200) + "… (4800 more characters)\n"), table.stdout)
        XCTAssertFalse(table.stdout.contains("\u{1B}"))
        XCTAssertLessThan(table.stdout.split(separator: "\n").count, 10)
        let json = try CLI.run(["inspect", path, "--format", "json"])
        let meta = try XCTUnwrap(json.json?["metadata"] as? [String: Any])
        let losses = try XCTUnwrap(meta["train_losses"] as? [Double])
        XCTAssertEqual(losses.count, 5000)
        XCTAssertEqual(losses[4999], 1.0 / 5000)
        XCTAssertEqual(meta["betas.1"] as? Double, 0.98)
        XCTAssertEqual((meta["note\u{1B}[2J"] as? String)?.count, 5000)
    }
}

/// Issue 15, class 7: messages say what is wrong, and never send control characters.
final class HostileMessageTests: XCTestCase {
    func testFileWithoutTensors() throws {
        let dir = ScratchDirectory()
        var p = PickleBuilder()
        p.dict(); p.string("step"); p.float(3); p.setitem(); p.stop()
        let path = dir.path("empty.pt")
        FileManager.default.createFile(atPath: path, contents: Data(torchZip(p.b)))
        let r = try CLI.run(["spectrum", path, "--p", "7"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("\(path): holds no tensors (torch-zip file with 1 metadata entries only)"), r.stderr)
        XCTAssertFalse(r.stderr.contains("--tensor ()"), r.stderr)
    }

    func testZipWithTwoMembersOfOneName() throws {
        let dir = ScratchDirectory()
        var w = ZipWriter()
        let npy = npyHeader(descr: "<f4", shape: [2]) + [Float(1), 2].withUnsafeBytes { Array($0) }
        w.stored("a.npy", npy); w.stored("a.npy", npy)
        let path = dir.path("twice.npz")
        FileManager.default.createFile(atPath: path, contents: Data(w.bytes()))
        for args in [["inspect", path], ["convert", path, dir.path("o.safetensors")]] {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stderr.contains("\(path): zip archive: two members are named 'a.npy'"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("o.safetensors")))
        }
    }

    /// An ESC sequence in a tensor name reaches stderr (error messages, notes) and stdout
    /// (inspect) escaped.
    func testControlCharactersAreEscaped() throws {
        let dir = ScratchDirectory()
        let path = dir.path("esc.safetensors")
        writeSafetensors(path, [("w\\u001b[2J", [2, 7], [Float](repeating: 1, count: 14)), ("x\\u0007", [3], [1, 2, 3])])
        let wrong = try CLI.run(["spectrum", path, "--tensor", "nope"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("w\\e[2J"), wrong.stderr)
        let inspect = try CLI.run(["inspect", path])
        XCTAssertEqual(inspect.status, 0)
        XCTAssertTrue(inspect.stdout.contains("w\\e[2J") && inspect.stdout.contains("x\\u{7}"), inspect.stdout)
        for r in [wrong, inspect] {
            XCTAssertFalse((r.stdout + r.stderr).unicodeScalars.contains { $0.value == 0x1B || $0.value == 7 })
        }
    }
}
