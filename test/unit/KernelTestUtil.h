//===- KernelTestUtil.h - One-node programs for kernel tests ----*- C++ -*-===//

#ifndef SSTEP_TEST_UNIT_KERNELTESTUTIL_H
#define SSTEP_TEST_UNIT_KERNELTESTUTIL_H

#include "runtime/core/Program.h"
#include "runtime/reference/Interpreter.h"

#include <map>
#include <string>
#include <vector>

namespace sstep::test {

/// A program of one node whose operands are inputs of the given shapes.
inline Program oneNode(Node node, const std::vector<Shape> &shapes) {
  Program p;
  for (size_t i = 0; i < shapes.size(); ++i) {
    int id = p.addValue("in" + std::to_string(i), shapes[i]);
    p.inputs.push_back(id);
    node.operands.push_back(id);
  }
  int out = p.addValue("out", {});
  node.results = {out};
  p.outputs = {out};
  p.nodes.push_back(std::move(node));
  return p;
}

/// Runs `node` on `inputs` with the reference backend; returns its result.
inline Tensor runNode(const Node &node, const std::vector<Tensor> &inputs) {
  std::vector<Shape> shapes;
  for (const Tensor &t : inputs)
    shapes.push_back(t.shape);
  return reference::run(oneNode(node, shapes), inputs)[0];
}

/// A node of op `op` with attributes `attrs`, named "n1" for messages.
inline Node makeNode(std::string op,
                     std::map<std::string, Attribute> attrs = {}) {
  Node node;
  node.op = std::move(op);
  node.name = "n1";
  node.attrs = std::move(attrs);
  return node;
}

/// start, start + step, ... in row-major order.
inline Tensor iota(Shape shape, float start = 0, float step = 1) {
  Tensor t(std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i)
    t.data[i] = start + step * i;
  return t;
}

} // namespace sstep::test

#endif // SSTEP_TEST_UNIT_KERNELTESTUTIL_H
