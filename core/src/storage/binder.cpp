#include "storage/binder.h"

namespace bambuddy::storage {

void Binder::bind(soci::statement& st, std::optional<int64_t> value) {
  ints_.push_back(value.value_or(0));
  indicators_.push_back(value ? soci::i_ok : soci::i_null);
  st.exchange(soci::use(ints_.back(), indicators_.back()));
}

void Binder::bind(soci::statement& st, std::optional<double> value) {
  doubles_.push_back(value.value_or(0.0));
  indicators_.push_back(value ? soci::i_ok : soci::i_null);
  st.exchange(soci::use(doubles_.back(), indicators_.back()));
}

void Binder::bind(soci::statement& st, std::optional<std::string> value) {
  strings_.push_back(value.value_or(std::string()));
  indicators_.push_back(value ? soci::i_ok : soci::i_null);
  st.exchange(soci::use(strings_.back(), indicators_.back()));
}

} // namespace bambuddy::storage
