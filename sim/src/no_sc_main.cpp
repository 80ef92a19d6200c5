// libsystemc.so carries a main() that calls sc_main(), so every program that
// links SystemC must define sc_main. Programs with their own main (the
// neuroppa command, the test runner, the benchmarks, the fuzz targets) link
// this object instead; their main wins at link time and starts SystemC only
// when the platform is needed. Programs that are SystemC programs
// (examples/vp, tests/sc_main.cpp) define their own sc_main and do not.
extern "C" int sc_main(int, char**) { return 2; }
