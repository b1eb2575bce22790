// The entry point of bb_notifier_discord.so: the descriptor and ABI trampolines for DiscordNotifier.
#include "discord_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_discord::DiscordNotifier)
