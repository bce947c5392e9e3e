// Work that must end cleanly on shutdown (running import jobs) registers here.
// Each hook gets the deadline (ms since epoch) by which it must have finished or rolled back.
export const shutdownHooks: Array<(deadline: number) => Promise<void>> = [];
