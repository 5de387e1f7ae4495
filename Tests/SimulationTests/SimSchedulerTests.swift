import Simulation
import Testing

@Suite struct SimSchedulerTests {
    @Test func eventsComeOutByTimeThenInsertionOrder() {
        var scheduler = SimScheduler<String>()
        scheduler.schedule("c", at: .seconds(2))
        scheduler.schedule("a1", at: .seconds(1))
        scheduler.schedule("b", at: .milliseconds(1500))
        scheduler.schedule("a2", at: .seconds(1))
        scheduler.schedule("a3", at: .seconds(1))
        var order: [String] = []
        while let (_, event) = scheduler.next() { order.append(event) }
        #expect(order == ["a1", "a2", "a3", "b", "c"])
        #expect(scheduler.now == .seconds(2))
    }

    @Test func manyTiesKeepInsertionOrder() {
        var scheduler = SimScheduler<Int>()
        for index in 0..<500 { scheduler.schedule(index, at: .seconds(index % 3)) }
        var order: [Int] = []
        while let (_, event) = scheduler.next() { order.append(event) }
        let expected = (0..<3).flatMap { remainder in (0..<500).filter { $0 % 3 == remainder } }
        #expect(order == expected)
    }

    @Test func nextStopsAtTheLimitAndAdvanceMovesTime() {
        var scheduler = SimScheduler<String>()
        scheduler.schedule("soon", after: .seconds(1))
        scheduler.schedule("later", after: .seconds(10))
        let first = scheduler.next(notAfter: .seconds(5))
        #expect(first?.event == "soon" && first?.instant == .seconds(1))
        let none = scheduler.next(notAfter: .seconds(5))
        #expect(none == nil)
        scheduler.advance(to: .seconds(5))
        #expect(scheduler.now == .seconds(5))
        // Relative scheduling counts from the advanced time; the past is clamped to now.
        scheduler.schedule("relative", after: .seconds(1))
        scheduler.schedule("past", at: .seconds(2))
        let past = scheduler.next()
        #expect(past?.event == "past")
        #expect(scheduler.now == .seconds(5))
        let relative = scheduler.next()
        #expect(relative?.event == "relative")
        #expect(scheduler.now == .seconds(6))
        #expect(scheduler.count == 1)
    }
}
