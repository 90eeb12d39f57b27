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
        XCTAssertEqual(Self.expected.count, 5)
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

    func testOCDBTIsRefusedWithARecipe() throws {
        XCTAssertThrowsError(try CheckpointLoader.load(path: Self.fixture("ocdbt/1"))) { e in
            let m = (e as! CheckpointError).message
            XCTAssertTrue(m.contains("OCDBT") && m.contains("use_ocdbt=False"), m)
        }
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
