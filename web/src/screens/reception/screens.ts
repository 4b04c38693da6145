/** Every screen of the reception area, for its lazily loaded chunk (routes.tsx). */
export { DayCalendar } from "./DayCalendar";
export { QueueBoard } from "./QueueBoard";
