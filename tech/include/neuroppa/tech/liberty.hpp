// Standard-cell library model read from Liberty: units, lookup-table
// templates, cells with area, leakage, pins, timing and internal-power
// tables, functions and sequential (ff/latch) groups. All values are kept
// in SI units (seconds, farads, volts, watts, joules, square micrometres for
// area, which Liberty leaves unitless and which every library gives in µm²).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuroppa/tech/liberty_syntax.hpp"

namespace neuroppa::tech {

struct LibertyUnits {
  double time = 1e-9;           // seconds per time unit
  double capacitance = 1e-12;   // farads per capacitive_load_unit
  double voltage = 1;           // volts per voltage_unit
  double current = 1e-3;        // amperes per current_unit
  double leakage_power = 1e-9;  // watts per leakage_power_unit
  double resistance = 1e3;      // ohms per pulling_resistance_unit
  // Internal-power tables hold energy per transition in capacitance x voltage^2.
  double energy() const { return capacitance * voltage * voltage; }
};

// What a table axis measures.
enum class TableVariable { input_slew, output_load, related_output_load, constrained_slew, other };

// An NLDM lookup table (delay, slew or internal energy), in SI units, with
// multilinear interpolation inside the grid and linear extrapolation outside.
struct Table {
  struct Axis {
    TableVariable variable = TableVariable::other;
    std::vector<double> index;
  };
  std::vector<Axis> axes;     // 0 to 3 axes; none for a scalar table
  std::vector<double> values; // row-major: the last axis varies fastest

  bool empty() const { return values.empty(); }
  // The value at an input slew (s) and output load (F); axes that measure
  // something else are taken at their first index point.
  double lookup(double slew, double load) const;
  // A constraint table's value (setup, hold) at the related (clock) pin's
  // transition and the constrained (data) pin's.
  double lookup_constraint(double related_slew, double constrained_slew) const;

 private:
  double lookup_at(double slew, double load, double constrained_slew) const;
};

struct TimingArc {
  std::string related_pin;
  std::string timing_type;   // "combinational", "rising_edge", "setup_rising", ...
  std::string timing_sense;  // "positive_unate", "negative_unate", "non_unate"
  int line = 0;              // of the timing group, for warnings
  Table cell_rise, cell_fall, rise_transition, fall_transition;
  Table rise_constraint, fall_constraint;  // setup/hold/recovery: the data pin rising, falling
};

// Liberty combinational timing types (an empty type means combinational).
inline bool is_combinational_arc(const TimingArc& arc) {
  return arc.timing_type.empty() || arc.timing_type == "combinational" || arc.timing_type == "combinational_rise" ||
         arc.timing_type == "combinational_fall";
}
// A flop's clock-to-output arc.
inline bool is_clock_arc(const TimingArc& arc) {
  return arc.timing_type == "rising_edge" || arc.timing_type == "falling_edge";
}

struct InternalPower {
  std::string related_pin;  // empty: the pin's own power (e.g. a flop's clock pin)
  std::string when;
  Table rise, fall;         // joules per transition
};

enum class PinDirection { input, output, inout, internal };

struct LibertyPin {
  std::string name;
  PinDirection direction = PinDirection::input;
  double capacitance = 0;       // farads
  double rise_capacitance = 0;  // farads; = capacitance when not given
  double fall_capacitance = 0;
  std::string function;         // Liberty boolean expression, outputs only
  std::string three_state;
  bool clock = false;
  std::vector<TimingArc> timing;
  std::vector<InternalPower> internal_power;
};

// A pin that takes a signal in (input or inout).
inline bool is_input(const LibertyPin& pin) {
  return pin.direction == PinDirection::input || pin.direction == PinDirection::inout;
}

// An ff or latch group: ff (IQ, IQN) { clocked_on, next_state, clear, preset }
// or latch (IQ, IQN) { enable, data_in, clear, preset }.
struct Sequential {
  bool latch = false;
  std::string state, state_inverted;  // IQ, IQN
  std::string clocked_on, next_state; // ff
  std::string enable, data_in;        // latch
  std::string clear, preset;
  std::string clear_preset_var1, clear_preset_var2;
};

struct LeakageState {
  std::string when;  // empty: unconditional
  double power = 0;  // watts
};

struct LibertyCell {
  std::string name;
  double area = 0;  // µm²
  std::optional<double> cell_leakage_power;  // watts
  std::vector<LeakageState> leakage_power;
  std::vector<LibertyPin> pins;
  std::optional<Sequential> sequential;
  bool dont_use = false;
  bool has_statetable = false;  // behaviour not expressible with ff/latch/function

  const LibertyPin* find_pin(std::string_view name) const;
  bool is_sequential() const { return sequential.has_value() || has_statetable; }
};

struct WireLoad {
  std::string name;
  double capacitance_per_length = 0;  // farads per unit length
  double slope = 0;
  std::vector<std::pair<int, double>> fanout_length;
  // Estimated wire capacitance (F) of a net with this fanout.
  double capacitance(int fanout) const;
};

struct Library {
  std::string name;
  std::filesystem::path path;
  LibertyUnits units;
  double nominal_voltage = 0;  // volts (nom_voltage)
  std::vector<LibertyCell> cells;
  std::vector<WireLoad> wire_loads;
  std::string default_wire_load;
  // What OpenSTA would warn about and neuroppa reads anyway, each
  // "file:line: what" (a timing group related to an output pin, a
  // default_fanout_load of 0.0, a bus whose width disagrees with its type).
  std::vector<std::string> warnings;

  const LibertyCell* find_cell(std::string_view name) const;
  const WireLoad* default_wire_load_model() const;

  std::map<std::string, std::size_t, std::less<>> cell_index;
};

// A library named on the command line: "osu018", "osu035" or "osu050" for
// the Debian qflow libraries, else a path to a Liberty file. Throws
// neuroppa::Error if the file does not exist.
std::filesystem::path resolve_library(const std::string& name_or_path);

// Reads a Liberty library (plain or .gz). Throws neuroppa::Error naming the
// file and line on malformed input.
Library read_liberty(const std::filesystem::path& path);
// The same from text already in memory (`source` names it in errors).
Library read_liberty_text(std::string_view text, const std::string& source);

}  // namespace neuroppa::tech
