import Foundation
import XCTest

/// `inspect` and `analyze` on Orbax checkpoints in the OCDBT layout, orbax.checkpoint's
/// default (fixtures of scripts/make_orbax_fixtures.py; docs/formats.md §16).
final class OrbaxCommandTests: XCTestCase {
    func fixture(_ n: String) -> String {
        CheckpointCommandTests.fixtures.appendingPathComponent("orbax").appendingPathComponent(n).path
    }

    func testInspectAnOCDBTCheckpoint() throws {
        let r = try CLI.run(["inspect", fixture("ocdbt_zarr3/1"), "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(r.json)
        XCTAssertEqual(json["format"] as? String, "orbax")
        let tensors = json["tensors"] as! [[String: Any]]
        let shapes = Dictionary(uniqueKeysWithValues: tensors.map { ($0["name"] as! String, $0["shape"] as! [Int]) })
        XCTAssertEqual(shapes["params.embed_a.embedding"], [7, 12])
        XCTAssertEqual(shapes["w"], [5, 7])
        XCTAssertEqual(shapes["big"], [24, 32])
        let text = try CLI.run(["inspect", fixture("ocdbt/1"), "--read-all"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("params.out.kernel"), text.stdout)
    }

    /// The Flax network of pytrees/flax_params.pkl, saved by StandardCheckpointer: found
    /// without flags.
    func testAnalyzeFindsTheNetworkInAnOCDBTCheckpoint() throws {
        let r = try CLI.run(["analyze", "--group", "C7", fixture("trained/1")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("u = params.") && r.stdout.contains("embed_a.embedding [7, 12]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("out.kernel [12, 7]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("accuracy 100.00%"), r.stdout)
    }

    func testAHostileOCDBTCheckpointExitsNonZeroNamingTheFile() throws {
        let r = try CLI.run(["inspect", fixture("hostile/ocdbt_past_end")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("hostile/ocdbt_past_end/d/values") && r.stderr.contains("past the end"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }
}
