import IPMI
import Testing
import VirtualBMCCore

/// The chassis in virtual time: every transition keeps the old state until its delay is over.
@Suite struct ModelChassisTests {
    let guid = BMCSpec.derivedGUID(name: "chassis")

    func chassis(on: Bool = false, _ timings: ChassisTimings) -> SimulatedChassis {
        SimulatedChassis(powerOn: on, guid: guid, timings: timings)
    }

    func reportsOn(_ chassis: inout SimulatedChassis, at now: Duration) throws -> Bool {
        let response = chassis.handle(GetChassisStatus.request, now: now)
        return try GetChassisStatus.Response(data: response.data).powerOn
    }

    @Test func powerOnAndHardOffTakeTheTransitionTime() throws {
        var chassis = chassis(ChassisTimings(powerTransition: .seconds(2)))
        #expect(chassis.control(.powerUp, now: .zero).completionCode == .ok)
        #expect(chassis.pending?.kind == .powerOn)
        #expect(try reportsOn(&chassis, at: .ms(1999)) == false)
        #expect(try reportsOn(&chassis, at: .seconds(2)) == true)
        #expect(chassis.pending == nil)
        #expect(chassis.lastPowerEvent == 0x10)

        #expect(chassis.control(.powerDown, now: .seconds(10)).completionCode == .ok)
        #expect(try reportsOn(&chassis, at: .ms(11_999)) == true)
        #expect(try reportsOn(&chassis, at: .seconds(12)) == false)
        #expect(chassis.recentPowerChanges == [PowerChange(at: .seconds(2), powerOn: true),
                                               PowerChange(at: .seconds(12), powerOn: false)])
    }

    @Test func advanceCompletesATransitionAtItsDueTimeNotWhenNoticed() {
        var chassis = chassis(ChassisTimings(powerTransition: .seconds(2)))
        _ = chassis.control(.powerUp, now: .zero)
        chassis.advance(to: .seconds(60))
        #expect(chassis.powerOn)
        #expect(chassis.recentPowerChanges.last?.at == .seconds(2))
    }

    @Test func softShutdownCompletesAfterItsDelay() throws {
        var chassis = chassis(on: true, ChassisTimings(softShutdown: .seconds(30)))
        #expect(chassis.control(.softShutdown, now: .zero).completionCode == .ok)
        #expect(chassis.pending?.kind == .softShutdown)
        #expect(try reportsOn(&chassis, at: .ms(29_999)) == true)
        #expect(try reportsOn(&chassis, at: .seconds(30)) == false)
    }

    @Test func aHungOSNeverCompletesASoftShutdownButHardOffStillWorks() throws {
        var chassis = chassis(on: true, ChassisTimings(powerTransition: .seconds(1), softShutdown: .seconds(30), osHung: true))
        #expect(chassis.control(.softShutdown, now: .zero).completionCode == .ok)
        #expect(try reportsOn(&chassis, at: .seconds(3600)) == true)
        #expect(chassis.pending == nil)
        #expect(chassis.control(.powerDown, now: .seconds(3600)).completionCode == .ok)
        #expect(try reportsOn(&chassis, at: .seconds(3601)) == false)
    }

    @Test func powerCycleIsOffThenCycleOffTimeThenOn() throws {
        var chassis = chassis(on: true, ChassisTimings(powerTransition: .seconds(1), cycleOffTime: .seconds(5)))
        #expect(chassis.control(.powerCycle, now: .zero).completionCode == .ok)
        #expect(chassis.cycles == 1)
        #expect(try reportsOn(&chassis, at: .ms(999)) == true)
        #expect(try reportsOn(&chassis, at: .seconds(1)) == false)
        #expect(chassis.pending?.kind == .powerCycle)
        #expect(try reportsOn(&chassis, at: .ms(6999)) == false)
        #expect(try reportsOn(&chassis, at: .seconds(7)) == true)
        #expect(chassis.pending == nil)
        #expect(chassis.recentPowerChanges.map(\.at) == [.seconds(1), .seconds(7)])
    }

    @Test func zeroTimingsAreImmediateForTheTimelessHarnessEntryPoint() throws {
        var chassis = SimulatedChassis(powerOn: false, guid: guid)
        #expect(chassis.handle(ChassisControl.powerUp.request).completionCode == .ok)
        #expect(chassis.powerOn)
        #expect(chassis.handle(ChassisControl.powerCycle.request).completionCode == .ok)
        #expect(chassis.powerOn && chassis.cycles == 1)
        #expect(chassis.handle(ChassisControl.softShutdown.request).completionCode == .ok)
        #expect(!chassis.powerOn)
        #expect(chassis.controlHistory == [.powerUp, .powerCycle, .softShutdown])
    }

    @Test func cycleResetAndNMINeedAPoweredSettledChassis() {
        var chassis = chassis(ChassisTimings(powerTransition: .seconds(2)))
        for action in [ChassisControl.powerCycle, .hardReset, .pulseDiagnosticInterrupt] {
            #expect(chassis.control(action, now: .zero).completionCode == .notSupportedInPresentState)
        }
        chassis.powerOn = true
        _ = chassis.control(.powerDown, now: .zero)
        for action in [ChassisControl.powerCycle, .hardReset, .pulseDiagnosticInterrupt, .softShutdown] {
            #expect(chassis.control(action, now: .seconds(1)).completionCode == .notSupportedInPresentState)
        }
        #expect(chassis.controlHistory == [.powerDown])
    }

    @Test func repeatingThePendingActionChangesNothing() {
        var chassis = chassis(ChassisTimings(powerTransition: .seconds(2)))
        _ = chassis.control(.powerUp, now: .zero)
        #expect(chassis.control(.powerUp, now: .seconds(1)).completionCode == .ok)
        #expect(chassis.pending?.nextChange == .seconds(2))
        chassis.advance(to: .seconds(2))
        #expect(chassis.powerOn)
    }

    @Test func powerUpAndDownRetargetAPendingTransition() {
        var chassis = chassis(ChassisTimings(powerTransition: .seconds(2), softShutdown: .seconds(30)))
        // Powering on, then off before it got there: nothing changes at all.
        _ = chassis.control(.powerUp, now: .zero)
        #expect(chassis.control(.powerDown, now: .seconds(1)).completionCode == .ok)
        #expect(chassis.pending == nil)
        chassis.advance(to: .seconds(10))
        #expect(!chassis.powerOn && chassis.recentPowerChanges.isEmpty)

        // A soft shutdown aborted by power up; then a hard off overtakes a slow soft shutdown.
        chassis.powerOn = true
        _ = chassis.control(.softShutdown, now: .seconds(10))
        #expect(chassis.control(.powerUp, now: .seconds(11)).completionCode == .ok)
        #expect(chassis.pending == nil && chassis.powerOn)
        _ = chassis.control(.softShutdown, now: .seconds(12))
        #expect(chassis.control(.powerDown, now: .seconds(13)).completionCode == .ok)
        #expect(chassis.pending?.kind == .powerOff && chassis.pending?.nextChange == .seconds(15))
        chassis.advance(to: .seconds(15))
        #expect(!chassis.powerOn)
    }

    @Test func oneTimeBootDeviceIsConsumedByTheNextBootOnly() {
        var chassis = chassis(ChassisTimings(powerTransition: .seconds(2)))
        #expect(chassis.handle(SystemBootOptions.setBootFlags(BootFlags(device: .pxe, efi: true)), now: .zero).completionCode == .ok)
        _ = chassis.control(.powerUp, now: .zero)
        chassis.advance(to: .seconds(1))
        #expect(chassis.bootFlags.valid, "not booted yet")
        chassis.advance(to: .seconds(2))
        #expect(!chassis.bootFlags.valid)
        #expect(chassis.bootFlags.device == .pxe && chassis.bootFlags.efi, "what was set stays readable")

        _ = chassis.handle(SystemBootOptions.setBootFlags(BootFlags(device: .cdrom)), now: .seconds(3))
        _ = chassis.control(.hardReset, now: .seconds(3))
        #expect(!chassis.bootFlags.valid, "a reset is a boot")
    }

    @Test func persistentBootDeviceSurvivesBoots() throws {
        var chassis = chassis(on: true, ChassisTimings(powerTransition: .seconds(1)))
        let flags = BootFlags(device: .disk, persistent: true, efi: true)
        _ = chassis.handle(SystemBootOptions.setBootFlags(flags), now: .zero)
        _ = chassis.control(.hardReset, now: .zero)
        _ = chassis.control(.powerCycle, now: .seconds(1))
        chassis.advance(to: .seconds(10))
        #expect(chassis.resets == 1 && chassis.cycles == 1 && chassis.powerOn)
        #expect(chassis.bootFlags == flags)
        let answer = chassis.handle(SystemBootOptions.getRequest(parameter: BootFlags.parameter), now: .seconds(10))
        #expect(try SystemBootOptions.bootFlags(inGetResponse: answer.data) == flags)
    }

    @Test func powerButtonTogglesOutOfBand() throws {
        var chassis = chassis(ChassisTimings(powerTransition: .seconds(2)))
        chassis.pressPowerButton(now: .zero)
        #expect(chassis.pending?.kind == .powerButton)
        #expect(try reportsOn(&chassis, at: .seconds(2)) == true)
        #expect(chassis.lastPowerEvent == 0, "not powered on by an IPMI command")
        #expect(chassis.controlHistory.isEmpty)
        // A second press before the first took effect heads back where it was.
        chassis.pressPowerButton(now: .seconds(5))
        chassis.pressPowerButton(now: .seconds(6))
        #expect(chassis.pending == nil)
        #expect(try reportsOn(&chassis, at: .seconds(60)) == true)
        #expect(chassis.buttonPresses == 3)
    }

    @Test func controlHistoryIsBounded() {
        var chassis = SimulatedChassis(powerOn: true, guid: guid)
        for _ in 0..<(SimulatedChassis.historyLimit * 3) { _ = chassis.control(.pulseDiagnosticInterrupt) }
        _ = chassis.control(.powerDown)
        #expect(chassis.controlHistory.count == SimulatedChassis.historyLimit)
        #expect(chassis.controlHistory.last == .powerDown)
        #expect(chassis.diagnosticInterrupts == SimulatedChassis.historyLimit * 3)
    }

    @Test func powerHistoryIsBoundedAndStillAnswersRecentInstants() {
        var chassis = SimulatedChassis(powerOn: false, guid: guid)
        for second in 1...100 { chassis.flipPower(at: .seconds(second)) }
        #expect(chassis.recentPowerChanges.count <= 16)
        #expect(chassis.powerOn(at: .ms(99_500)) == true)  // 99 flips: on
        #expect(chassis.powerOn(at: .ms(100_500)) == false)
    }
}
