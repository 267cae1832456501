// MappedView: a read-only memory mapping of a byte range of a File, its pages
// read in before use. Hashing a disk through a mapping skips the copy a read
// makes, which is most of the cost of a re-image's scan when the disk's pages
// are cached (docs/protocol.md, "A deployment"). Move-only; unmaps when
// destroyed.
#ifndef FLEETCAST_PLATFORM_MAPPED_VIEW_H_
#define FLEETCAST_PLATFORM_MAPPED_VIEW_H_

#include <cstddef>
#include <cstdint>

#include "core/coding.h"
#include "core/status.h"
#include "platform/file.h"

namespace fleetcast {

class MappedView {
 public:
  MappedView() = default;
  ~MappedView();
  MappedView(MappedView&& other) noexcept;
  MappedView& operator=(MappedView&& other) noexcept;
  MappedView(const MappedView&) = delete;
  MappedView& operator=(const MappedView&) = delete;

  /// Maps [offset, offset + length) of file and reads every page of it in
  /// (MADV_POPULATE_READ), so a read error of the disk is a Status here and
  /// not a SIGBUS later in whoever reads bytes(). kNotSupported where the
  /// kernel cannot (before Linux 5.14, or a file that cannot be mapped): the
  /// caller reads instead.
  static Result<MappedView> Map(const File& file, uint64_t offset, uint64_t length);

  ByteView bytes() const { return {base_ + skip_, length_}; }

 private:
  MappedView(uint8_t* base, size_t skip, size_t length)
      : base_(base), skip_(skip), length_(length) {}
  void Unmap();

  uint8_t* base_ = nullptr;  // the mapping, from a page boundary
  size_t skip_ = 0;          // bytes before offset in the first page
  size_t length_ = 0;
};

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_MAPPED_VIEW_H_
