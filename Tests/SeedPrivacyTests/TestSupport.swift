import Foundation
import SeedPrivacy
import XCTest

/// A temporary folder per test and a fixed vault key.
class PrivacyTestCase: XCTestCase {
    var scratch: URL!
    let key = try! VaultKey(bytes: Array(0..<32))

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seed-privacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    func vault(_ name: String = "vault.sqlite") throws -> Vault { try Vault(path: path(name), key: key) }

    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    /// Two JSON texts are the same value (key order and escaping aside).
    func assertSameJSON(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) {
        let x = try? JSONSerialization.jsonObject(with: Data(a.utf8)) as? NSObject
        let y = try? JSONSerialization.jsonObject(with: Data(b.utf8)) as? NSObject
        XCTAssertNotNil(x, a, file: file, line: line)
        XCTAssertEqual(x, y, "\(a)\n\(b)", file: file, line: line)
    }
}
