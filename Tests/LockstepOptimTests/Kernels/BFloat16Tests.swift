import Testing

@testable import LockstepOptim

@Suite("BFloat16")
struct BFloat16Tests {
    @Test func exactValuesAreKept() {
        for value: Float in [0, 1, -2, 0.5, 3.140625, 65280, -0.0078125] {
            #expect(BFloat16.round(value) == value)
        }
        #expect(BFloat16(1).bitPattern == 0x3F80)
        #expect(BFloat16(-0.0).bitPattern == 0x8000)
    }

    @Test func tiesRoundToEven() {
        let ulp: Float = 0x1p-7  // bfloat16's spacing in [1, 2)
        #expect(BFloat16.round(1 + ulp / 2) == 1)                    // tie, 1 is even
        #expect(BFloat16.round(1 + 3 * ulp / 2) == 1 + 2 * ulp)      // tie, 1 + ulp is odd
        #expect(BFloat16.round(1 + ulp / 2 + 0x1p-23) == 1 + ulp)    // just above the tie
        #expect(BFloat16.round(-(1 + ulp / 2)) == -1)
        #expect(BFloat16.round(1 + ulp / 2 - 0x1p-23) == 1)          // just below
    }

    @Test func nanAndInfinity() {
        #expect(BFloat16.round(.nan).isNaN)
        #expect(BFloat16.round(-.nan).isNaN)
        #expect(BFloat16(.nan).bitPattern == 0x7FC0)
        #expect(BFloat16.round(.infinity) == .infinity)
        #expect(BFloat16.round(-.infinity) == -.infinity)
        // The largest Float lies beyond the largest finite bfloat16 (0x7F7F) plus half a step.
        #expect(BFloat16.round(.greatestFiniteMagnitude) == .infinity)
        #expect(BFloat16(bitPattern: 0x7F7F).float == 0x1.FEp127)
        #expect(BFloat16.round(0x1.FEp127) == 0x1.FEp127)
    }

    @Test func subnormalsRoundWithoutFlushing() {
        let smallest: Float = 0x1p-133  // the smallest bfloat16 subnormal
        #expect(BFloat16.round(smallest) == smallest)
        #expect(BFloat16(smallest).bitPattern == 0x0001)
        #expect(BFloat16.round(smallest * 1.5) == 2 * smallest)      // tie between 1 and 2 steps: even is 2
        #expect(BFloat16.round(smallest / 2) == 0)                   // tie between 0 and 1 step: even is 0
        #expect(BFloat16.round(smallest * 0.75) == smallest)
        #expect(BFloat16.round(-smallest * 0.25).bitPattern == (-Float.zero).bitPattern)
    }
}
