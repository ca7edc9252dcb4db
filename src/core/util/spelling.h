// "Did you mean ...?" for misspelt names: flags, settings, error names.
#ifndef JWTGUARD_UTIL_SPELLING_H_
#define JWTGUARD_UTIL_SPELLING_H_

#include <algorithm>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

namespace jwtguard {

// Levenshtein distance: insertions, deletions and substitutions of one byte.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The candidate nearest to `word`, or "" when none is near enough to be what
// was meant: at most 2 edits, or a third of the word for long names (a
// suggestion that is far off misleads more than it helps).
template <typename Names>
std::string closest_name(std::string_view word, const Names& candidates) {
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::string best;
  if (word.size() > 100) return best;  // no name is that long; spare the quadratic work
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace jwtguard

#endif  // JWTGUARD_UTIL_SPELLING_H_
