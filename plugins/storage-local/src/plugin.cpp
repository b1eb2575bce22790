// The entry point of bb_storage_local.so: the descriptor and ABI trampolines for LocalBlobStore.
#include "local_blob_store.h"

BAMBUDDY_PLUGIN(bambuddy::storage_local::LocalBlobStore)
