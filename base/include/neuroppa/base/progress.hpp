// Progress reporting: long steps tell the command what they are doing, and
// the command decides where it goes (stderr, a bar, nowhere with --quiet).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace neuroppa {

// Text for the user, one or more whole lines ("building model ...\n"); a
// callback may print it as it is, indent it or drop it.
using ProgressFn = std::function<void(std::string_view text)>;

// How many units of a known total are done (beats, images).
using CountProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

}  // namespace neuroppa
