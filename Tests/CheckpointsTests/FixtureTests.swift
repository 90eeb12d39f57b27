import Foundation
import XCTest
@testable import Checkpoints

/// Fixtures written by the real libraries (scripts/make_checkpoint_fixtures.py) and the
/// values those libraries recorded: every tensor byte, every metadata leaf.
final class FixtureTests: XCTestCase {
    static let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    nonisolated(unsafe) static let expected: [String: Any] = {
        let data = try! Data(contentsOf: fixtures.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static var fileNames: [String] { expected.keys.filter { !$0.hasPrefix("__") }.sorted() }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares a checkpoint with its record in expected.json.
    static func compare(_ c: Checkpoint, with entry: [String: Any], file: String, checkFormat: Bool = true) {
        if checkFormat { XCTAssertEqual(c.format, entry["format"] as? String, file) }
        let tensors = entry["tensors"] as! [[String: Any]]
        XCTAssertEqual(c.tensors.map(\.name), tensors.map { $0["name"] as! String }, "\(file): tensor names in file order")
        for (t, e) in zip(c.tensors, tensors) {
            let what = "\(file): \(t.name)"
            XCTAssertEqual(t.dtype.rawValue, e["dtype"] as? String, what)
            XCTAssertEqual(t.shape, e["shape"] as? [Int], what)
            XCTAssertEqual(hex(try t.contiguousLittleEndianBytes()), e["hex"] as? String, "\(what): bytes")
            if let values = e["values"] as? [String] {
                // Written with float.hex(), so that no decimal round trip blurs the last bit.
                XCTAssertEqual(try t.doubleValues(), values.map { Double($0)! }, "\(what): decoded values")
            }
        }
        if let metadata = entry["metadata"] as? [[Any]] {
            XCTAssertEqual(c.metadata.count, metadata.count, "\(file): metadata count \(c.metadata.map(\.key))")
            for (m, e) in zip(c.metadata, metadata) {
                XCTAssertEqual(m.key, e[0] as? String, "\(file): metadata key")
                let value: MetadataValue
                switch e[1] as! String {
                case "int": value = .int((e[2] as! NSNumber).int64Value)
                case "bigint": value = .bigInt(e[2] as! String)
                case "double": value = .double((e[2] as! NSNumber).doubleValue)
                case "string": value = .string(e[2] as! String)
                case "bool": value = .bool((e[2] as! NSNumber).boolValue)
                case "null": value = .null
                case "bytes": value = .bytes((e[2] as! NSNumber).intValue)
                default: XCTFail("unknown type"); continue
                }
                XCTAssertEqual(m.value, value, "\(file): metadata \(m.key)")
            }
        }
        if let opaque = entry["opaque"] as? [[String: String]] {
            XCTAssertEqual(c.opaque.map { "\($0.key)=\($0.global)" }, opaque.map { "\($0["key"]!)=\($0["global"]!)" }, "\(file): opaque")
        }
    }

    func testEveryFixtureMatchesWhatTheLibraryWrote() throws {
        XCTAssertGreaterThanOrEqual(Self.fileNames.count, 18)
        for name in Self.fileNames {
            let entry = Self.expected[name] as! [String: Any]
            let c = try CheckpointLoader.load(path: Self.fixture(name))
            Self.compare(c, with: entry, file: name)
        }
    }

    /// Views of one storage share its bytes in the mapped file: nothing is copied.
    func testViewsShareOneStorage() throws {
        let c = try CheckpointLoader.load(path: Self.fixture("views.pt"))
        let base = try c.tensor(named: "base"), t = try c.tensor(named: "transposed"), tied = try c.tensor(named: "tied")
        XCTAssertTrue(base.source === t.source)
        XCTAssertEqual(base.storageStart, t.storageStart)
        XCTAssertEqual(t.strides, [1, 6])
        XCTAssertEqual(tied.baseAddress, base.baseAddress)
        let sliced = try c.tensor(named: "sliced")
        XCTAssertEqual(sliced.offset, 8)
        XCTAssertEqual(try sliced.doubleValues(), [8, 9, 10, 14, 15, 16])
        XCTAssertEqual(try c.tensor(named: "broadcast").strides, [0, 1])
    }

    /// Stored zip members are used in place, 64-byte aligned as torch writes them.
    func testTorchStoragesAreZeroCopyAndAligned() throws {
        let c = try CheckpointLoader.load(path: Self.fixture("state_dict.pt"))
        for t in c.tensors {
            XCTAssertEqual(t.storageStart % 64, 0, t.name)
            XCTAssertEqual(t.source.path, Self.fixture("state_dict.pt"))
        }
    }

    func testDtypeDecodersAgreeWithTorch() throws {
        let c = try CheckpointLoader.load(path: Self.fixture("dtypes.pt"))
        // 100 is not representable in float8 e4m3fn: torch rounded it to 96.
        XCTAssertEqual(try c.tensor(named: "float8_e4m3fn").doubleValues(), [0, 1, -2.5, 3.25, 0.5, -0.125, 96, -7])
        XCTAssertEqual(try c.tensor(named: "bfloat16").doubleValues(), [0, 1, -2.5, 3.25, 0.5, -0.125, 100, -7])
        XCTAssertEqual(try c.tensor(named: "int64_big").doubleValues(), [0x1p62, -0x1p62, 3])
        XCTAssertEqual(try c.tensor(named: "scalar").shape, [])
        XCTAssertEqual(try c.tensor(named: "empty").elementCount, 0)
    }

    func testTrainingCheckpointKeyPaths() throws {
        let c = try CheckpointLoader.load(path: Self.fixture("training.pt"))
        let names = Set(c.tensors.map(\.name))
        XCTAssertTrue(names.contains("model.embed.weight"))
        XCTAssertTrue(names.contains("optimizer.state.0.exp_avg"))
        XCTAssertTrue(c.metadata.contains { $0.key == "epoch" && $0.value == .int(7) })
        XCTAssertTrue(c.metadata.contains { $0.key == "step" && $0.value == .int(1 << 40) })
        XCTAssertTrue(c.metadata.contains { $0.key == "args.lr" && $0.value == .double(0.01) })
        XCTAssertEqual(c.opaque.first?.global, "argparse.Namespace")
        let list = try CheckpointLoader.load(path: Self.fixture("checkpoint_list.pt"))
        XCTAssertEqual(try list.tensor(named: "checkpoints.2.mlp.0.weight").shape, [6, 4])
    }

    /// The pickle that would call os.system is reported, never run.
    func testHostilePickleIsNeverExecuted() throws {
        let marker = "/tmp/irrepscope-pwned"
        try? FileManager.default.removeItem(atPath: marker)
        let c = try CheckpointLoader.load(path: Self.fixture("hostile.pt"))
        XCTAssertEqual(c.opaque.map(\.global), ["posix.system"])
        XCTAssertEqual(c.tensors.map(\.name), ["w"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    /// The VM on pickles of every protocol (0–5) written by Python's pickle module.
    func testPickleProtocols0Through5() throws {
        let pickles = Self.expected["__pickles__"] as! [[String: Any]]
        XCTAssertEqual(pickles.count, 6)
        for p in pickles {
            let proto = p["protocol"] as! Int
            let bytes = Self.unhex(p["hex"] as! String)
            let root: PickleObject = try bytes.withUnsafeBytes { raw in
                var vm = PickleMachine(raw)
                return try vm.run()
            }
            var r = PickleTreeReader(path: "protocol \(proto)", rootName: "root") { _ in
                throw CheckpointError(path: "", "no storages here")
            }
            try r.walk(root)
            let c = Checkpoint(format: "pickle", path: "", tensors: r.tensors, metadata: r.metadata, opaque: r.opaque)
            Self.compare(c, with: ["format": "pickle", "tensors": [[String: Any]](), "metadata": p["metadata"]!, "opaque": p["opaque"]!],
                         file: "protocol \(proto)")
        }
    }

    static func unhex(_ s: String) -> [UInt8] {
        let u = Array(s.utf8)
        func v(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        return stride(from: 0, to: u.count, by: 2).map { v(u[$0]) << 4 | v(u[$0 + 1]) }
    }
}
