import Foundation
import XCTest
@testable import SeedPrivacy

final class EntityTypeTests: XCTestCase {
    func testTypesWithTheSameNameAreEqualAndKeepTheirName() {
        let a = EntityType("EMPLOYEE_NUMBER_WITH_A_LONG_TYPE_NAME"), b = EntityType("EMPLOYEE_NUMBER_WITH_A_LONG_TYPE_NAME")
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.hashValue, b.hashValue)
        XCTAssertEqual(a.name, "EMPLOYEE_NUMBER_WITH_A_LONG_TYPE_NAME")
        XCTAssertEqual(Array(a.utf8), Array("EMPLOYEE_NUMBER_WITH_A_LONG_TYPE_NAME".utf8))
        XCTAssertEqual(EntityType("EMAIL"), .email)
        XCTAssertNotEqual(EntityType("EMAIL_2"), .email)
        XCTAssertEqual(Set([EntityType.phone, EntityType("PHONE"), .email]).count, 2)
        XCTAssertLessThan(EntityType.creditCard, EntityType.email)
    }

    /// Types are made from policy files and vault blocks on any thread: every thread must get the same
    /// type for the same name.
    func testConcurrentInterningAgrees() {
        let names = (0..<200).map { "CUSTOM_TYPE_\($0)" }
        var results = [[EntityType]](repeating: [], count: 4)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            let types = (thread % 2 == 0 ? names : names.reversed()).map { EntityType($0) }
            lock.lock()
            results[thread] = thread % 2 == 0 ? types : types.reversed()
            lock.unlock()
        }
        for r in results { XCTAssertEqual(r, results[0]) }
        for (type, name) in zip(results[0], names) { XCTAssertEqual(type.name, name) }
        XCTAssertEqual(Set(results[0]).count, names.count)
    }
}
