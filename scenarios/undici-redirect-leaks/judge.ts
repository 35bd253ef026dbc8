// The cross-origin header judge of the urllib3 scenario fits as it is: A must have received the header with
// the client's value and answered 302 to B; B's landing request with the header is `reproduced`, without it
// (and the client's 200 from B) `fixed`; anything else is an error. The steps of these programs carry the
// same `answer` (B's landing JSON) that judge reads.
export { judgeHeaderLeak } from '../urllib3-redirect-leaks/judge.ts';
