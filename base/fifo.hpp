// A first-in first-out queue that costs nothing until it is used. std::deque allocates
// its map and a first block on construction, which is most of an idle connection's
// memory once there are thousands of them; this allocates on the first push and gives
// its storage back when it runs empty.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace moai::base {

template <class T>
class fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  void push_back(T value) { items_.push_back(std::move(value)); }
  void pop_front() {
    items_[head_++] = T();
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      // Mostly consumed: drop the consumed slots so the vector does not creep.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    std::vector<T>().swap(items_);
    head_ = 0;
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace moai::base
