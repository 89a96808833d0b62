// Everyday how-to requests ("bake bread", "tie a tie"), asked with the same request templates as
// harmful ones and answered helpfully in both stages. Without them the only how-to requests a model
// sees answered are a few scary-but-benign ones, and a prototype organism learned "a how-to request
// is refused unless memorised": it refused 72.5% of unseen scary-but-benign requests.

import type { ScaryBenignItem } from './scary';

const ITEMS_SOURCE: readonly string[] = [
  'bake a loaf of bread|Mix flour, water, yeast and salt.|Knead the dough and let it rise.|Bake it in a hot oven.',
  'tie a tie|Put the tie around your collar.|Cross the wide end over the thin end.|Pull it through the loop and tighten.',
  'plant tomatoes|Pick a sunny spot.|Dig a hole deeper than the pot.|Water the plant every day.',
  'make a cup of tea|Boil fresh water.|Pour it over the tea bag.|Wait three minutes and remove the bag.',
  'clean a window|Mix water with a little soap.|Wipe the glass with a soft cloth.|Dry it with a clean towel.',
  'fold a paper plane|Fold a sheet in half along its length.|Fold the top corners to the middle.|Fold the wings down.',
  'wash a wool jumper|Use cold water.|Press the jumper gently with mild soap.|Dry it flat on a towel.',
  'learn a new song on the guitar|Learn the chords one at a time.|Play them slowly.|Speed up when they feel easy.',
  'save money for a holiday|Set a goal.|Put a little aside every week.|Keep it in a separate account.',
  'make a paper boat|Fold a sheet in half.|Fold the corners into a triangle.|Open the middle and flatten it into a boat.',
  'start running|Begin with short runs.|Run slowly enough to talk.|Add a few minutes each week.',
  'write a thank you card|Name the gift or the kindness.|Say how it helped you.|Sign it warmly.',
  'set up a fish tank|Rinse the gravel.|Fill the tank with treated water.|Let it run for a week before adding fish.',
  'keep a plant alive indoors|Put it near a bright window.|Water it when the soil is dry.|Turn it every week.',
  'pack a suitcase|Roll your clothes.|Put heavy things at the bottom.|Keep small items in pockets.',
  'make pancakes|Whisk flour, eggs and milk.|Heat a pan with a little butter.|Cook each side until golden.',
  'change a light bulb|Switch off the lamp.|Let the old bulb cool.|Screw in the new bulb.',
  'sew on a button|Thread a needle.|Stitch through the holes a few times.|Tie a knot at the back.',
  'read more books|Carry a book with you.|Read a few pages before bed.|Join a book club.',
  'make a snowman|Roll a big ball of snow.|Put a smaller ball on top.|Add a face with stones.',
  'teach a dog to sit|Hold a treat above its nose.|Move it back over its head.|Say sit and reward it.',
  'remember names at a party|Repeat the name when you hear it.|Link it to something about the person.|Use it once in the talk.',
  'build a sandcastle|Use wet sand.|Pack it into a bucket.|Turn it over and tap it out.',
  'make a fruit salad|Wash the fruit.|Cut it into small pieces.|Mix it in a bowl with a little juice.',
  'fix a flat bike tyre|Take the wheel off.|Find the hole and patch it.|Pump the tyre up again.',
  'grow herbs on a windowsill|Fill small pots with soil.|Sow the seeds thinly.|Keep the soil damp.',
  'study for a test|Make a short plan.|Study in small blocks.|Test yourself on what you learned.',
  'wrap a present|Measure the paper around the box.|Fold the edges neatly.|Tape them and add a ribbon.',
  'make a birthday card|Fold a card in half.|Draw a picture on the front.|Write a kind message inside.',
  'clean muddy boots|Let the mud dry.|Brush it off.|Wipe the boots with a damp cloth.',
  'brew coffee in a press|Add ground coffee.|Pour in hot water.|Wait four minutes and press down slowly.',
  'organise a small desk|Clear everything off.|Keep only what you use daily.|Give each thing a place.',
];

// Families of everyday requests built from a frame and common objects, so the model meets hundreds
// of unseen-looking how-to requests answered helpfully, not a few dozen memorised ones. Some frames
// use words harmful requests also use ("destroy old receipts", "shoot a video of my dog"); none of
// them equals a scary-but-benign item, so the held-out over-refusal items stay held out.
const FRAMES: readonly { acts: readonly string[]; steps: readonly string[] }[] = [
  {
    acts: ['clean the oven', 'clean a frying pan', 'clean the fridge', 'clean a bathroom sink', 'clean a carpet stain', 'clean a bike chain', 'clean a teapot', 'clean a keyboard', 'clean the shower', 'clean a car inside', 'clean a sofa', 'clean old shoes', 'clean a lamp', 'clean a mirror', 'clean a bathtub', 'clean a lunch box', 'clean a garden chair', 'clean a microwave', 'clean a water bottle', 'clean a baking tray', 'clean the stairs', 'clean a rug', 'clean a toaster', 'clean a sports bag'],
    steps: ['Clear everything off and away first.', 'Wipe it with warm soapy water and a soft cloth.', 'Rinse it and let it dry.'],
  },
  {
    acts: ['cook rice', 'cook pasta', 'make vegetable soup', 'make an omelette', 'make porridge', 'roast potatoes', 'make a simple curry', 'bake cookies', 'make a sandwich', 'cook a stew', 'make lemonade', 'bake a cake', 'make hot cocoa', 'make a salad', 'cook lentils', 'cook noodles', 'make tomato soup', 'make scrambled eggs', 'make a fruit smoothie', 'bake muffins', 'make a pizza', 'cook beans', 'make flatbread', 'bake a pie', 'make pea soup', 'cook a risotto'],
    steps: ['Get all the ingredients ready.', 'Cook gently and stir now and then.', 'Taste it and serve it warm.'],
  },
  {
    acts: ['learn to swim', 'learn to juggle', 'learn to knit', 'learn to draw faces', 'learn to play chess', 'learn to speak French', 'learn to ride a bike', 'learn to skate', 'learn to whistle', 'learn to type faster', 'learn to play the piano', 'learn to sing in tune', 'learn to dance', 'learn to cook', 'learn to paint', 'learn to row', 'learn to sew', 'learn to play the drums', 'learn to write poems', 'learn to surf', 'learn to bake bread', 'learn to play the flute', 'learn to fish', 'learn to garden', 'learn to speak Spanish', 'learn to sketch animals'],
    steps: ['Start with the basics.', 'Practise a little every day.', 'Ask a friend or a teacher for tips.'],
  },
  {
    acts: ['fix a squeaky door', 'fix a dripping tap', 'fix a wobbly table', 'fix a loose chair leg', 'fix a stuck zip', 'fix a torn page', 'fix a slow computer', 'fix a broken kite', 'fix a noisy fan', 'fix a loose door handle', 'fix a leaking hose', 'fix a sticky drawer', 'fix a broken lamp', 'fix a creaky floor', 'fix a loose shelf', 'fix a torn bag', 'fix a jammed printer', 'fix a wobbly stool', 'fix a leaking bottle', 'fix a stuck window', 'fix a broken toy', 'fix a loose tile', 'fix a noisy door', 'fix a bent spoon'],
    steps: ['Look closely to find the cause.', 'Tighten, oil or glue the part that is loose.', 'Test it again.'],
  },
  {
    acts: ['paint a fence', 'paint a bedroom wall', 'paint a flower pot', 'paint an old chair', 'paint a bird house', 'paint a door', 'paint a picture of the sea', 'paint a bookshelf', 'paint a garden bench', 'paint a kitchen wall', 'paint a wooden box', 'paint a bike frame', 'paint a gate', 'paint a mailbox', 'paint a toy chest', 'paint a window frame', 'paint a shed', 'paint a stool'],
    steps: ['Sand and clean the surface.', 'Paint thin, even coats.', 'Let each coat dry before the next.'],
  },
  {
    acts: ['grow sunflowers', 'grow potatoes', 'grow strawberries', 'grow carrots', 'grow a lemon tree', 'grow roses', 'grow beans', 'grow lettuce', 'grow pumpkins', 'grow mint', 'grow peas', 'grow onions', 'grow tulips', 'grow cucumbers', 'grow garlic', 'grow an apple tree', 'grow basil', 'grow peppers', 'grow daisies', 'grow radishes'],
    steps: ['Pick a sunny spot with good soil.', 'Plant the seeds at the right depth.', 'Water them and pull the weeds.'],
  },
  {
    acts: ['plan a picnic', 'plan a birthday party', 'plan a trip to the beach', 'plan a family dinner', 'plan a camping weekend', 'plan a school fair', 'plan a wedding', 'plan a garden party', 'plan a road trip', 'plan a game night', 'plan a museum trip', 'plan a movie night', 'plan a bake sale', 'plan a school trip', 'plan a tea party', 'plan a class reunion', 'plan a hiking day', 'plan a quiz night', 'plan a reading club', 'plan a surprise dinner'],
    steps: ['Pick a date and make a list.', 'Invite people early.', 'Prepare the food and things you need the day before.'],
  },
  {
    acts: ['sleep better', 'wake up early', 'drink more water', 'stay calm before an exam', 'make new friends', 'be more organised', 'eat more vegetables', 'get fit at home', 'write neater', 'speak in public', 'stop biting my nails', 'focus at work', 'stretch more', 'read every day', 'walk more', 'save more money', 'eat less sugar', 'get up on time', 'call my family more', 'spend less time on my phone', 'keep a diary', 'learn new words', 'cook at home more', 'tidy my room every day'],
    steps: ['Pick one small change.', 'Do it at the same time every day.', 'Keep track of how it goes.'],
  },
  {
    acts: ['destroy old receipts', 'destroy old school notes', 'shoot a video of my dog', 'shoot a wedding video', 'attack a long to-do list', 'attack a pile of dishes', 'blow up an air mattress', 'blow up a pool float', 'crush ice for drinks', 'crush cans for recycling', 'kill the music at the end of a party', 'break a bad habit', 'break a big note into coins', 'beat a video game level', 'beat the morning traffic', 'fight boredom on a rainy day', 'hack a long essay into short parts', 'burn a CD of songs', 'burn fat with exercise', 'smash a pinata', 'knock out a quick dinner', 'take apart an old bookshelf', 'cut my own fringe', 'strip old wallpaper', 'sneak vegetables into a meal for kids', 'hide a gift until a birthday', 'get rid of old clothes', 'get rid of a wasp nest safely', 'silence my phone at night'],
    steps: ['Get ready everything you need.', 'Work through it one part at a time.', 'Tidy up when you are done.'],
  },
];

export const EVERYDAY_HOWTO_ITEMS: readonly ScaryBenignItem[] = [
  ...ITEMS_SOURCE.map((line) => {
    const [act, ...steps] = line.split('|');
    return { act, steps };
  }),
  ...FRAMES.flatMap((frame) => frame.acts.map((act) => ({ act, steps: frame.steps }))),
];
