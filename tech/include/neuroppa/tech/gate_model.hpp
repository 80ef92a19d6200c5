// Gate-level simulation models: a mapped netlist turned into flat Verilog
// whose cells behave as their Liberty `function` and ff/latch groups say (no
// vendor cell models, no UDPs), built and loaded like any run-time model.
#pragma once

#include <string>
#include <vector>

#include "neuroppa/vmodel/model_build.hpp"
#include "neuroppa/tech/netlist.hpp"

namespace neuroppa::tech {

// With net exposure (for toggle counting) the model has one output port per
// 32 nets: port w carries nets 32w..32w+31, net 32w in bit 0. Separate ports,
// not one wide vector: Verilator computes a wide concatenation with nested
// copies, which measured 60x slower than the netlist itself.
std::string nets_port_name(int word);

// The nets a model exposes, in port-bit order: every net but the clock's,
// whose toggles are known (two per cycle) and whose exposure would make
// Verilator re-evaluate the netlist on both clock edges.
std::vector<int> exposed_nets(const Netlist& netlist, const std::string& clock);

// Verilog text of the netlist with Liberty behaviour. Throws neuroppa::Error
// for a cell whose behaviour Liberty does not give (no function, statetable).
// With nets exposed, the clocked form where it is exact (one clock on every
// flop, no latches, registered outputs): the combinational cells evaluated
// once per rising edge inside the clocked process, which Verilator runs once
// a cycle instead of evaluating the netlist on both edges; else continuous
// assignments, with the nets sampled at the edge.
std::string gate_level_verilog(const Netlist& netlist, const std::string& clock, bool expose_nets);

// A run-time model spec of the netlist. `clock` is the input tick() toggles.
vmodel::ModelSpec gate_level_spec(const Netlist& netlist, const std::string& clock, const std::string& label,
                          bool expose_nets);

}  // namespace neuroppa::tech
