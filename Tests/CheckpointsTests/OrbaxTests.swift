import Foundation
import XCTest
@testable import Checkpoints

/// Orbax step directories written by orbax-checkpoint and tensorstore
/// (scripts/make_orbax_fixtures.py): every array compared with what the library held.
final class OrbaxTests: XCTestCase {
    static let dir = FixtureTests.fixtures.appendingPathComponent("orbax")
    nonisolated(unsafe) static let expected: [String: Any] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()
    static func fixture(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func testEveryOrbaxStepMatchesWhatTheLibraryHeld() throws {
        XCTAssertEqual(Self.expected.count, 13)
        for name in Self.expected.keys.sorted() {
            XCTAssertTrue(CheckpointLoader.recognizes(path: Self.fixture(name)), name)
            let c = try CheckpointLoader.load(path: Self.fixture(name))
            FixtureTests.compare(c, with: Self.expected[name] as! [String: Any], file: name)
        }
    }

    func testLayouts() throws {
        let z3 = try CheckpointLoader.load(path: Self.fixture("zarr3/1"))
        XCTAssertEqual(try z3.tensor(named: "extra.bf16").doubleValues(), [1.5, -2, 0.125])
        let chunked = try CheckpointLoader.load(path: Self.fixture("chunked/1"))
        // 5×7 in 2×3 zlib chunks (edge chunks clipped); 8×6 in shards of 2×3 zstd inner chunks.
        XCTAssertEqual(try chunked.tensor(named: "w").doubleValues(), (0..<35).map { Double($0) / 8 })
        XCTAssertEqual(try chunked.tensor(named: "v").doubleValues(), (0..<48).map { Double($0 - 20) })
        XCTAssertTrue(z3.metadata.contains { $0.key == "lr" && $0.value == .double(0.05) })
    }

    /// OCDBT checkpoints (the default layout) are read: every array equals what the library
    /// held (also in testEveryOrbaxStepMatchesWhatTheLibraryHeld), zarr v2 and v3, chunked,
    /// values out of line in ocdbt.process_0/d/, a B+tree of several levels and data files.
    func testOCDBTCheckpointsAreRead() throws {
        let tc = ["ocdbt_zarr3/1", "ocdbt_chunked/1", "ocdbt_deep/1"]
        for name in tc {
            let c = try CheckpointLoader.load(path: Self.fixture(name))
            XCTAssertEqual(c.format, "orbax")
            XCTAssertEqual(try c.tensor(named: "w").doubleValues(), (0..<35).map { Double($0) / 8 }, name)
            XCTAssertEqual(try c.tensor(named: "big").shape, [24, 32], name)
            XCTAssertTrue(c.metadata.contains { $0.key == "lr" && $0.value == .double(0.05) }, name)
        }
        let z3 = try CheckpointLoader.load(path: Self.fixture("ocdbt_zarr3/1"))
        XCTAssertEqual(try z3.tensor(named: "extra.bf16").doubleValues(), [1.5, -2, 0.125])
        // The chunked array really is in several chunks, and big's chunk is out of line.
        let store = try OCDBTStore(directory: Self.fixture("ocdbt_chunked/1"))
        XCTAssertGreaterThan(store.keys.filter { $0.hasPrefix("w/") }.count, 3)
        let big = try XCTUnwrap(try store.value(forKey: "big/0.0"))
        XCTAssertTrue(big.source.path.contains("ocdbt.process_0/d/"), big.source.path)
    }

    /// Every key and value of every OCDBT fixture equals what tensorstore lists (key, value
    /// length, zlib crc32; scripts/make_orbax_fixtures.py writes ocdbt_keys.json).
    func testOCDBTListingsEqualTensorstores() throws {
        let data = try Data(contentsOf: Self.dir.appendingPathComponent("ocdbt_keys.json"))
        let listings = try JSONSerialization.jsonObject(with: data) as! [String: [[Any]]]
        XCTAssertEqual(listings.count, 9)
        for (name, listing) in listings {
            let store = try OCDBTStore(directory: Self.fixture(name))
            // tensorstore lists the leaves of a deep tree in the order it fetched them.
            XCTAssertEqual(store.keys, listing.map { $0[0] as! String }.sorted(), name)
            for entry in listing {
                let key = entry[0] as! String
                let v = try XCTUnwrap(try store.value(forKey: key), "\(name): \(key)")
                XCTAssertEqual(v.range.count, entry[1] as! Int, "\(name): \(key)")
                XCTAssertEqual(UInt64(withExtendedLifetime(v.source) { Self.crc32(v.bytes) }), (entry[2] as! NSNumber).uint64Value, "\(name): \(key)")
            }
        }
        XCTAssertNil(try OCDBTStore(directory: Self.fixture("ocdbt_numbered")).value(forKey: "absent"))
        let numbered = try OCDBTStore(directory: Self.fixture("ocdbt_numbered"))
        XCTAssertTrue(numbered.manifestPath.hasSuffix("manifest.0000000000000004"), numbered.manifestPath)
        let a = try XCTUnwrap(try numbered.value(forKey: "a"))
        XCTAssertEqual(withExtendedLifetime(a.source) { String(decoding: a.bytes, as: UTF8.self) }, "second")
    }

    /// zlib's CRC-32 (not the CRC-32C of the reader), to compare with Python's zlib.crc32.
    static func crc32(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = ~0
        for x in b {
            c ^= UInt32(x)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    /// OCDBT databases with one thing wrong (scripts/make_orbax_fixtures.py re-encodes
    /// ocdbt/1): each fails with a message naming the file it is in.
    func testHostileOCDBTFailsCleanly() throws {
        let cases: [String: (file: String, needle: String)] = [
            "ocdbt_past_end": ("d/values", "lies past the end of the file"),
            "ocdbt_outside": ("d/node", "leaves the checkpoint directory"),
            "ocdbt_cycle": ("d/node", "its own ancestor"),
            "ocdbt_height": ("manifest.ocdbt", "height 200 exceeds the limit of 32"),
            "ocdbt_varint": ("manifest.ocdbt", "varint overflows 64 bits"),
            "ocdbt_truncated": ("manifest.ocdbt", "truncated"),
        ]
        for (d, want) in cases {
            XCTAssertThrowsError(try CheckpointLoader.load(path: Self.fixture("hostile/\(d)")), d) { e in
                let c = e as! CheckpointError
                XCTAssertEqual(c.path, Self.fixture("hostile/\(d)/\(want.file)"), d)
                XCTAssertTrue(c.message.contains(want.needle), "\(d): \(c.message)")
            }
        }
    }

    /// Damage made here: a data file that is a link out of the checkpoint, a flipped byte (the
    /// CRC-32C), and per-process databases never merged into the top-level one.
    func testDamagedOCDBTFailsCleanly() throws {
        let fm = FileManager.default
        let tmp = fm.temporaryDirectory.appendingPathComponent("ocdbt-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: tmp) }
        func copy(_ from: String, _ to: String) throws -> String {
            let dst = tmp.appendingPathComponent(to)
            try fm.createDirectory(at: dst.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.copyItem(atPath: Self.fixture(from), toPath: dst.path)
            return dst.path
        }
        func failure(_ dir: String) -> CheckpointError? {
            do { _ = try CheckpointLoader.load(path: dir); return nil } catch { return error as? CheckpointError }
        }
        let link = try copy("ocdbt_reencoded/1", "link/1")
        try fm.moveItem(atPath: link + "/d/node", toPath: tmp.path + "/node")
        try fm.createSymbolicLink(atPath: link + "/d/node", withDestinationPath: tmp.path + "/node")
        let e1 = try XCTUnwrap(failure(link))
        XCTAssertEqual(e1.path, link + "/d/node")
        XCTAssertTrue(e1.message.contains("outside the checkpoint directory"), e1.message)

        let flipped = try copy("ocdbt_reencoded/1", "flipped/1")
        var node = try Data(contentsOf: URL(fileURLWithPath: flipped + "/d/node"))
        node[40] ^= 0x20
        try node.write(to: URL(fileURLWithPath: flipped + "/d/node"))
        let e2 = try XCTUnwrap(failure(flipped))
        XCTAssertEqual(e2.path, flipped + "/d/node")
        XCTAssertTrue(e2.message.contains("CRC-32C"), e2.message)

        let unmerged = try copy("ocdbt/1", "unmerged/1")
        try fm.removeItem(atPath: unmerged + "/manifest.ocdbt")
        let e3 = try XCTUnwrap(failure(unmerged))
        XCTAssertEqual(e3.path, unmerged)
        XCTAssertTrue(e3.message.contains("ocdbt.process_0") && e3.message.contains("did not finish"), e3.message)
    }

    func testHostileOrbaxDirectoriesFailCleanly() throws {
        let cases = ["outside": "outside the checkpoint", "overflow": "overflows",
                     "bomb": "declares 336 bytes", "missing": "missing"]
        for (d, needle) in cases {
            XCTAssertThrowsError(try CheckpointLoader.load(path: Self.fixture("hostile/\(d)")), d) { e in
                let c = e as! CheckpointError
                XCTAssertTrue(c.path.hasPrefix(Self.fixture("hostile/\(d)")), c.path)
                XCTAssertTrue(c.message.contains(needle), "\(d): \(c.message)")
            }
        }
    }
}
