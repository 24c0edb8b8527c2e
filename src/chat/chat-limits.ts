/** ACS chat limits Switchboard enforces (docs/chat.md). Each violation is a 400 with its own code. */
export const MAX_MESSAGE_CONTENT_BYTES = 28 * 1024;
export const MAX_PARTICIPANTS = 250;
/** Thread and participant metadata: "the total size of all metadata pairs can be up to 1KB" (spec). */
export const MAX_THREAD_METADATA_BYTES = 1024;
export const MAX_PARTICIPANT_METADATA_BYTES = 1024;
/** Message metadata has no size in the spec; Switchboard allows 8 KB (keys plus values, UTF-8). */
export const MAX_MESSAGE_METADATA_BYTES = 8 * 1024;
export const MAX_TOPIC_LENGTH = 512;
export const MAX_DISPLAY_NAME_LENGTH = 256;
export const MAX_REPEATABILITY_ID_LENGTH = 128;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 250;
/** How a participant whose identity was deleted is named in participant lists and messages. */
export const DELETED_USER_DISPLAY_NAME = "Deleted user";
