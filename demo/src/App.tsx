// The page: one panel per capability, plus the health of every connection. Each panel is
// self-contained and talks to the others only through the bus.
import { Header } from './Header.tsx'
import { HistoryPanel } from './history/HistoryPanel.tsx'
import { JobPanel } from './jobs/JobPanel.tsx'
import { EventLog } from './log/EventLog.tsx'
import { OverflowPanel } from './overflow/OverflowPanel.tsx'
import { StatusPanel } from './StatusPanel.tsx'
import { TaskBoard } from './tasks/TaskBoard.tsx'

export function App() {
  return (
    <>
      <Header />
      <main>
        <TaskBoard />
        <EventLog />
        <HistoryPanel />
        <JobPanel />
        <OverflowPanel />
        <StatusPanel />
      </main>
    </>
  )
}
