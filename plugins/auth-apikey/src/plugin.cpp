// The entry point of bb_auth_apikey.so: the descriptor and ABI trampolines for ApiKeyAuth.
#include "api_key_auth.h"

BAMBUDDY_PLUGIN(bambuddy::auth_apikey::ApiKeyAuth)
