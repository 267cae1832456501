#include "platform/mapped_view.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace fleetcast {

MappedView::~MappedView() { Unmap(); }

MappedView::MappedView(MappedView&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      skip_(std::exchange(other.skip_, 0)),
      length_(std::exchange(other.length_, 0)) {}

MappedView& MappedView::operator=(MappedView&& other) noexcept {
  if (this != &other) {
    Unmap();
    base_ = std::exchange(other.base_, nullptr);
    skip_ = std::exchange(other.skip_, 0);
    length_ = std::exchange(other.length_, 0);
  }
  return *this;
}

void MappedView::Unmap() {
  if (base_ != nullptr) ::munmap(base_, skip_ + length_);
  base_ = nullptr;
}

Result<MappedView> MappedView::Map(const File& file, uint64_t offset, uint64_t length) {
  if (length == 0) return Status::InvalidArgument(file.path() + ": cannot map 0 bytes");
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t start = offset - offset % page;
  const size_t skip = offset - start;
  void* p =
      ::mmap(nullptr, skip + length, PROT_READ, MAP_SHARED, file.fd_, static_cast<off_t>(start));
  if (p == MAP_FAILED) return Status::NotSupported(ErrnoStatus(file.path(), errno).message());
  MappedView view(static_cast<uint8_t*>(p), skip, length);
  if (::madvise(p, skip + length, MADV_POPULATE_READ) != 0) {
    // EINVAL: a kernel without it. EFAULT/EIO: a page could not be read
    // (the disk failed, or the range passes the end): a read says which.
    return Status::NotSupported(ErrnoStatus(file.path(), errno).message());
  }
  return view;
}

}  // namespace fleetcast
