import Foundation
import GRDB
import SeedStore
import XCTest

final class BackgroundCheckpointerTests: XCTestCase {
    /// Writers that never checkpoint themselves (`wal_autocheckpoint = 0`) keep a bounded WAL: the
    /// checkpointer copies it into the file every `thresholdBytes` and has it started over. Without it this
    /// run's WAL would hold all 2.6 MB written; every row is in the file once the last connection closes.
    func testTheWALIsCopiedAndStartedOverOffTheWriters() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpointer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.sqlite").path
        var configuration = Configuration()
        configuration.prepareDatabase { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        var pool: DatabasePool? = try DatabasePool(path: path, configuration: configuration)
        try pool!.write { try $0.execute(sql: "CREATE TABLE t (b BLOB NOT NULL)") }
        let checkpointer = try BackgroundCheckpointer(path: path, thresholdBytes: 256 << 10)
        let blob = Data(repeating: 7, count: 64 << 10)
        var largestWAL = 0
        for _ in 0..<40 {
            try pool!.write { try $0.execute(sql: "INSERT INTO t (b) VALUES (?)", arguments: [blob]) }
            checkpointer.committed(bytes: blob.count)
            Thread.sleep(forTimeInterval: 0.003)
            largestWAL = max(largestWAL, Self.size(path + "-wal"))
        }
        checkpointer.stop()
        XCTAssertLessThan(largestWAL, 3 << 19, "the WAL stayed near the threshold (3 MB without checkpoints)")
        pool = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"), "the last close copied the rest and removed the WAL")
        XCTAssertEqual(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") }, 40)
    }

    private static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
