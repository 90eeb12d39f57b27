import Foundation
import XCTest

/// `irrepscope inspect` and `convert` as a user runs them (the built executable).
final class CheckpointCommandTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("CheckpointsTests/Fixtures")


    func fixture(_ n: String) -> String { Self.fixtures.appendingPathComponent(n).path }

    func testInspectJSONOfAHostilePickle() throws {
        let r = try run(["inspect", fixture("hostile.pt"), "--format", "json"])
        XCTAssertEqual(r.status, 0)
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        XCTAssertEqual(json["format"] as? String, "torch-zip")
        let tensors = json["tensors"] as! [[String: Any]]
        XCTAssertEqual(tensors.first?["name"] as? String, "w")
        XCTAssertEqual(tensors.first?["dtype"] as? String, "float32")
        XCTAssertEqual(tensors.first?["shape"] as? [Int], [2])
        XCTAssertEqual((json["opaque"] as! [[String: String]]).first?["global"], "posix.system")
        XCTAssertTrue(r.err.contains("never executed"), r.err)
    }

    func testConvertLegacyToSafetensorsKeepsNames() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-cli-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        XCTAssertEqual(try run(["convert", fixture("legacy.pt"), out]).status, 0)
        let a = try run(["inspect", fixture("legacy.pt"), "--format", "json"]).out
        let b = try run(["inspect", out, "--format", "json"]).out
        func names(_ s: String) -> [String] {
            ((try! JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any])["tensors"] as! [[String: Any]]).map { $0["name"] as! String }
        }
        XCTAssertEqual(names(a), names(b))
    }

    func testBadFileExitsNonZeroNamingTheFile() throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-cli-bad.pt").path
        _ = FileManager.default.createFile(atPath: bad, contents: Data([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]))
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let r = try run(["inspect", bad])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains(bad), r.err)
    }
}
