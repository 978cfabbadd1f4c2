package synthetic

// MaxCount is the most synthetic requests one run sends (`make produce N=`) and waits for (`make
// wait-ready PROCESSED=`): produce builds every message in memory before it sends, so a count
// with no bound ran the machine out of memory. The scripts' check_count refuses the same numbers
// before any build; both are rendered from create-hybrid-backend's settings.ts. produce and
// verify take it as the range of their -count flag (cmdline.IntVar).
const MaxCount = 1000000
