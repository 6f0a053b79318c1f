@testable import SeedServe
import XCTest

final class StopMatcherTests: XCTestCase {
    func testTextIsCutAtTheFirstStopStringEvenAcrossPieces() {
        var matcher = StopMatcher(["\nuser:", "END"])
        XCTAssertEqual(matcher.append("Hello").release, "Hello")
        XCTAssertEqual(matcher.append(" there\nus").release, " there", "a possible stop start is held back")
        let end = matcher.append("er: hi")
        XCTAssertEqual(end.release, "")
        XCTAssertTrue(end.stopped)
    }

    func testHeldTextIsReleasedWhenItTurnsOutNotToBeAStop() {
        var matcher = StopMatcher(["END"])
        XCTAssertEqual(matcher.append("the EN").release, "the ")
        XCTAssertEqual(matcher.append("try").release, "ENtry")
        XCTAssertEqual(matcher.append("E").release, "")
        XCTAssertEqual(matcher.flush(), "E")
    }

    func testNoStopsPassEverythingThrough() {
        var matcher = StopMatcher([])
        XCTAssertEqual(matcher.append("abc").release, "abc")
        XCTAssertEqual(matcher.flush(), "")
    }
}
