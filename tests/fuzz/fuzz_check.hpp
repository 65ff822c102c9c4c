// What a fuzz target does when an invariant breaks: say which, then abort,
// so libFuzzer saves the input that did it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

[[noreturn]] inline void broken(const char *what, const std::string &detail = "") {
    std::fprintf(stderr, "invariant broken: %s %s\n", what, detail.c_str());
    std::abort();
}
