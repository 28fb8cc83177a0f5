#ifndef DLKIT_CLI_TABLE_H_
#define DLKIT_CLI_TABLE_H_

// Plain-text tables for dlctl's output: columns padded to their widest cell (UTF-8 aware),
// key/value blocks, truncation.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace dlkit::cli {

enum class Align { kLeft, kRight };

struct TableColumn {
  std::string header;
  Align align = Align::kLeft;
};

// Columns separated by two spaces, padded to the widest cell (UTF-8 aware), no trailing
// blanks. Missing cells in short rows render empty.
std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows);

// "key:   value" lines with the values aligned.
std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& items);

// Number of terminal columns a UTF-8 string takes (one per code point).
size_t DisplayWidth(absl::string_view utf8);

// Cuts `text` to at most `width` columns, ending with "…" when it was cut.
std::string Truncate(absl::string_view text, size_t width);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_TABLE_H_
