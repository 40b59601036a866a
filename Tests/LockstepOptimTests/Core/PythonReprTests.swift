import Testing

@testable import LockstepOptim

@Suite("Python float repr")
struct PythonReprTests {
    // Each pair is (value, what CPython 3.11 prints for repr(value)).
    @Test(arguments: [
        (-1.0, "-1.0"), (1.0, "1.0"), (0.0, "0.0"), (-0.0, "-0.0"), (1e-8, "1e-08"), (0.001, "0.001"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (1.5e-5, "1.5e-05"), (123.25, "123.25"), (1e15, "1000000000000000.0"),
        (1e16, "1e+16"), (1.2345e22, "1.2345e+22"), (0.1, "0.1"), (2.5, "2.5"), (-3e-300, "-3e-300"),
        (Double.infinity, "inf"), (-Double.infinity, "-inf"), (Double.nan, "nan"), (123456789.0, "123456789.0"),
        (0.30000000000000004, "0.30000000000000004"), (Double.leastNonzeroMagnitude, "5e-324"),
    ])
    func matchesPython(_ value: Double, _ expected: String) {
        #expect(pythonRepr(value) == expected)
    }
}
